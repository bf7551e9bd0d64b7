import "server-only";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { dataDir } from "./data-dir";
import { logger } from "./logger";

/**
 * The first run's admin login, kept in clear (mode 600) in the data directory
 * only so that `npm start` can print it again until the admin has chosen their
 * own password (issue #17): the password is a one-time password, and once it
 * is changed the file is removed — by the change itself, and by the next start.
 */
export type FirstRunLogin = { email: string; password: string };

function file(): string {
  return path.join(dataDir(), "admin-login.json");
}

export function saveFirstRunLogin(login: FirstRunLogin): void {
  mkdirSync(path.dirname(file()), { recursive: true, mode: 0o700 });
  writeFileSync(file(), JSON.stringify(login), { mode: 0o600 });
}

export function readFirstRunLogin(): FirstRunLogin | null {
  if (!existsSync(file())) return null;
  try {
    const saved = JSON.parse(readFileSync(file(), "utf8")) as Partial<FirstRunLogin>;
    return typeof saved.email === "string" && typeof saved.password === "string"
      ? { email: saved.email, password: saved.password }
      : null;
  } catch {
    return null;
  }
}

/** Removes the kept first-run login (of `email`, when given). Never fails the caller. */
export function forgetFirstRunLogin(email?: string): void {
  try {
    const saved = readFirstRunLogin();
    if (!existsSync(file()) || (email && saved && saved.email !== email)) return;
    rmSync(file(), { force: true });
  } catch (err) {
    logger.warn({ err }, "could not remove the first-run login file");
  }
}
