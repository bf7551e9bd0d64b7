/**
 * Starts the app exactly as a person would — `npm start`'s script, on a fresh
 * database — and keeps the admin login it prints, so the UI tests sign in with
 * the printed credentials.
 */
import { spawn } from "node:child_process";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { randomBytes } from "node:crypto";
import { createFreshDatabase } from "../scripts/lib/test-database";

export const STATE_DIR = path.join(process.cwd(), "e2e", ".state");
export const LOGIN_FILE = path.join(STATE_DIR, "login.json");
/** The e2e server's METRICS_TOKEN (GET /api/metrics); not a secret. */
export const METRICS_TOKEN = "e2e-metrics-token-0123456789";
/**
 * The one address the e2e server trusts as a proxy (TRUSTED_PROXIES): e2e/ui/sign-in-attacks.spec.ts
 * connects from it to act as one. Everyone else (the browser, from 127.0.0.1) is untrusted, so their
 * X-Forwarded-For is ignored, as by default.
 */
export const E2E_TRUSTED_PROXY = "127.0.0.250";
/**
 * Sign-in attempts per address and minute on the e2e server. The browser tests all sign in from
 * 127.0.0.1 (about 13 a minute at the busiest, measured on a loaded machine; more on an idle one), so
 * they get room above the default of 20; e2e/ui/sign-in-attacks.spec.ts proves the limit at this value.
 */
export const E2E_SIGN_IN_ATTEMPTS_PER_MINUTE = 60;

export default async function globalSetup() {
  const port = Number(process.env.E2E_PORT ?? 3100);
  rmSync(STATE_DIR, { recursive: true, force: true });
  mkdirSync(STATE_DIR, { recursive: true });
  const db = await createFreshDatabase("e2e");

  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DATABASE_URL: db.url,
    PORT: String(port),
    AUTH_SECRET: randomBytes(32).toString("base64url"),
    BASEKV_DATA_DIR: path.join(STATE_DIR, "data"),
    BASEKV_QUIET_SERVER: "1",
    METRICS_TOKEN,
    TRUSTED_PROXIES: E2E_TRUSTED_PROXY,
    SIGN_IN_ATTEMPTS_PER_MINUTE: String(E2E_SIGN_IN_ATTEMPTS_PER_MINUTE),
  };
  delete env.ADMIN_EMAIL;
  delete env.ADMIN_PASSWORD;
  const server = spawn("npx", ["tsx", "--conditions=react-server", "scripts/start.ts"], {
    env,
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  let output = "";
  const login = await new Promise<{ email: string; password: string }>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`npm start did not print a login within 240s:\n${output}`)),
      240_000,
    );
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const email = /^Email: (.+)$/m.exec(output)?.[1];
      const password = /^Password: (.+)$/m.exec(output)?.[1];
      if (email && password) {
        clearTimeout(timer);
        resolve({ email: email.trim(), password: password.trim() });
      }
    };
    server.stdout.on("data", onData);
    server.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
    server.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`npm start exited (${code}) before printing a login:\n${output}`));
    });
  });
  // authSecret: e2e/ui/web-security.spec.ts checks it appears in no page and no client chunk.
  writeFileSync(LOGIN_FILE, JSON.stringify({ ...login, databaseUrl: db.url, authSecret: env.AUTH_SECRET }));

  return async () => {
    await new Promise<void>((resolve) => {
      if (server.exitCode !== null) return resolve();
      server.once("exit", () => resolve());
      process.kill(-server.pid!, "SIGTERM");
      setTimeout(() => {
        try {
          process.kill(-server.pid!, "SIGKILL");
        } catch {
          // already gone
        }
        resolve();
      }, 15_000);
    });
    await db.drop();
  };
}
