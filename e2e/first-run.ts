/**
 * `npm start` as a person runs it (scripts/start.ts, on a database and data
 * directory of its own), and the first sign-in of the admin it prints. The e2e
 * global setup starts the suite's server this way; e2e/ui/first-run.spec.ts
 * starts a second one to watch a first run from the beginning.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { expect, type Page } from "@playwright/test";

export type StartedApp = {
  /** What `npm start` printed: `Email:` and `Password:`. */
  login: { email: string; password: string };
  output: () => string;
  stop: () => Promise<void>;
};

export async function startLikeAPerson(input: {
  databaseUrl: string;
  port: number;
  dataDir: string;
  authSecret: string;
  env?: Record<string, string>;
}): Promise<StartedApp> {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ...input.env,
    DATABASE_URL: input.databaseUrl,
    PORT: String(input.port),
    AUTH_SECRET: input.authSecret,
    BASEKV_DATA_DIR: input.dataDir,
    BASEKV_QUIET_SERVER: "1",
  };
  delete env.ADMIN_EMAIL;
  delete env.ADMIN_PASSWORD;
  const server: ChildProcess = spawn("npx", ["tsx", "--conditions=react-server", "scripts/start.ts"], {
    env,
    stdio: ["ignore", "pipe", "pipe"],
    // Its own process group, so that stopping it stops the web server it starts too.
    detached: true,
  });
  let output = "";
  const stop = () =>
    new Promise<void>((resolve) => {
      if (server.exitCode !== null || server.signalCode !== null) return resolve();
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
  const login = await new Promise<{ email: string; password: string }>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`npm start did not print a login within 240s:\n${output}`)),
      240_000,
    );
    server.stdout!.on("data", (chunk: Buffer) => {
      output += chunk.toString();
      const email = /^Email: (.+)$/m.exec(output)?.[1];
      const password = /^Password: (.+)$/m.exec(output)?.[1];
      if (email && password) {
        clearTimeout(timer);
        resolve({ email: email.trim(), password: password.trim() });
      }
    });
    server.stderr!.on("data", (chunk: Buffer) => (output += chunk.toString()));
    server.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`npm start exited (${code}) before printing a login:\n${output}`));
    });
  }).catch(async (error: unknown) => {
    await stop();
    throw error;
  });
  return { login, output: () => output, stop };
}

/** The first sign-in with a one-time password, as a person does it: sent to the password page, chooses one. */
export async function chooseOwnPassword(page: Page, current: string, next: string) {
  await expect(page).toHaveURL(/\/account\/password$/);
  await page.getByLabel("Current password").fill(current);
  await page.getByLabel("New password", { exact: true }).fill(next);
  await page.getByLabel("Confirm new password").fill(next);
  await page.getByRole("button", { name: "Save password" }).click();
  await expect(page).not.toHaveURL(/\/account\/password$/);
}
