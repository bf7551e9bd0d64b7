/**
 * Playwright drives an installed Chromium: its own browser download cannot
 * work without internet. Look for one; when none is found, try Playwright's
 * installer, then (as root) Debian's `chromium` package; otherwise say how.
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";

const CANDIDATES = [
  "/usr/bin/chromium",
  "/usr/bin/chromium-browser",
  "/usr/bin/google-chrome",
  "/usr/bin/google-chrome-stable",
];

export const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
];

export function findChromium(): string | null {
  const fromEnv = process.env.CHROMIUM_PATH;
  if (fromEnv && existsSync(fromEnv)) return fromEnv;
  return CANDIDATES.find((p) => existsSync(p)) ?? null;
}

export function ensureChromium(log: (line: string) => void): string {
  const found = findChromium();
  if (found) return found;

  log("no Chromium found; trying Playwright's installer…");
  const playwright = spawnSync("npx", ["playwright", "install", "chromium"], { stdio: "inherit", timeout: 120_000 });
  if (playwright.status === 0) {
    const { chromium } = requirePlaywright();
    if (existsSync(chromium.executablePath())) return chromium.executablePath();
  }

  if (process.getuid?.() === 0) {
    log("installing Debian's chromium package (apt-get)…");
    const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
    spawnSync("apt-get", ["update"], { stdio: "inherit", env, timeout: 300_000 });
    spawnSync("apt-get", ["install", "-y", "--no-install-recommends", "chromium"], {
      stdio: "inherit",
      env,
      timeout: 600_000,
    });
    const installed = findChromium();
    if (installed) return installed;
  }
  throw new Error(
    "No Chromium for the end-to-end tests. Install one (Debian/Ubuntu: `sudo apt-get install chromium`) " +
      "or set CHROMIUM_PATH to a Chromium or Chrome binary, then run npm test again.",
  );
}

function requirePlaywright(): { chromium: { executablePath: () => string } } {
  // Resolved lazily: only needed on the rare path where Playwright installed its own browser.
  const result = spawnSync(
    process.execPath,
    ["-e", "process.stdout.write(require('playwright-core').chromium.executablePath())"],
    {
      encoding: "utf8",
    },
  );
  const executable = result.stdout.trim();
  return { chromium: { executablePath: () => executable } };
}
