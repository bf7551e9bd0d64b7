/**
 * "Builds if needed": a production build is reused while the sources it was
 * made from are unchanged (a content hash kept next to it in .next/).
 */
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { ROOT } from "./paths";

const INPUTS = [
  "app",
  "components",
  "lib",
  "public",
  "proxy.ts",
  "next.config.ts",
  "postcss.config.mjs",
  "package-lock.json",
  "tsconfig.json",
  "prisma/schema.prisma",
];
const STAMP = path.join(ROOT, ".next", "basekv-source-hash");

function walk(target: string, hash: ReturnType<typeof createHash>) {
  if (!existsSync(target)) return;
  const stat = statSync(target);
  if (stat.isDirectory()) {
    for (const name of readdirSync(target).sort()) {
      if (name === "node_modules" || name.endsWith(".test.ts")) continue;
      walk(path.join(target, name), hash);
    }
  } else {
    hash.update(path.relative(ROOT, target)).update("\0").update(readFileSync(target)).update("\0");
  }
}

export function sourceHash(): string {
  const hash = createHash("sha256");
  for (const input of INPUTS) walk(path.join(ROOT, input), hash);
  return hash.digest("hex");
}

export function buildIfNeeded(log: (line: string) => void): void {
  const current = sourceHash();
  const built =
    existsSync(path.join(ROOT, ".next", "BUILD_ID")) && existsSync(STAMP) ? readFileSync(STAMP, "utf8") : null;
  if (built === current) {
    log("production build is up to date");
    return;
  }
  log("building the app (next build)… this takes a minute or two the first time");
  const result = spawnSync(
    process.execPath,
    [path.join(ROOT, "node_modules", "next", "dist", "bin", "next"), "build"],
    {
      cwd: ROOT,
      stdio: ["ignore", "inherit", "inherit"],
      env: { ...process.env, NODE_ENV: "production", NEXT_TELEMETRY_DISABLED: "1" },
    },
  );
  if (result.status !== 0) throw new Error("next build failed (see above)");
  writeFileSync(STAMP, current);
}
