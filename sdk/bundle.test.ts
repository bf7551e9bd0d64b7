import path from "node:path";
import { build } from "esbuild";
import { describe, expect, it } from "vitest";

const root = path.resolve(import.meta.dirname, "..");

describe("the SDK bundle", () => {
  it("has no runtime dependency: the server's zod schemas are used as types only", async () => {
    const result = await build({
      entryPoints: [path.join(root, "sdk/index.ts")],
      bundle: true,
      write: false,
      format: "esm",
      platform: "neutral",
      alias: { "@": root },
      metafile: true,
      logLevel: "silent",
    });
    const inputs = Object.keys(result.metafile.inputs);
    expect(inputs.every((file) => file.startsWith("sdk/"))).toBe(true);
    expect(result.outputFiles[0]!.text).not.toMatch(/\bfrom\s+["']|\brequire\(|zod/);
  });
});
