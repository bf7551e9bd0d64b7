/**
 * `prisma generate` without network: Prisma's CLI wants to download a native
 * schema engine it does not need for generation; pointing
 * PRISMA_SCHEMA_ENGINE_BINARY at any existing file stops the download.
 */
import { spawnSync } from "node:child_process";
import path from "node:path";
import { ROOT } from "./lib/paths";

const result = spawnSync(
  process.execPath,
  [path.join(ROOT, "node_modules", "prisma", "build", "index.js"), "generate"],
  {
    cwd: ROOT,
    stdio: "inherit",
    env: {
      ...process.env,
      PRISMA_SCHEMA_ENGINE_BINARY: process.env.PRISMA_SCHEMA_ENGINE_BINARY ?? process.execPath,
      PRISMA_HIDE_UPDATE_MESSAGE: "1",
      CHECKPOINT_DISABLE: "1",
    },
  },
);
process.exit(result.status ?? 1);
