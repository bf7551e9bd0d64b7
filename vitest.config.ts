import path from "node:path";
import { defineConfig } from "vitest/config";

const root = import.meta.dirname;
const alias = {
  "@": root,
  // Outside Next.js, the server-only marker must resolve to its no-op build.
  "server-only": path.join(root, "node_modules", "server-only", "empty.js"),
};

export default defineConfig({
  resolve: { alias },
  test: {
    projects: [
      {
        resolve: { alias },
        test: {
          name: "unit",
          include: ["lib/core/**/*.test.ts", "sdk/**/*.test.ts", "tests/**/*.test.ts"],
          exclude: ["**/*.integration.test.ts", "node_modules/**"],
          environment: "node",
        },
      },
      {
        resolve: { alias },
        test: {
          name: "integration",
          include: ["**/*.integration.test.ts"],
          exclude: ["node_modules/**", ".next/**"],
          environment: "node",
          globalSetup: ["tests/integration-global-setup.ts"],
          setupFiles: ["tests/integration-setup.ts"],
          testTimeout: 30_000,
          hookTimeout: 60_000,
          // Files share one database; each seeds its own workspace, so they may run in parallel.
          fileParallelism: true,
        },
      },
    ],
  },
});
