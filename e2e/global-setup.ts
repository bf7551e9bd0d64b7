/**
 * Starts the app exactly as a person would — `npm start`'s script, on a fresh
 * database — and signs in once with the admin login it prints, as that person
 * would: the first sign-in asks for a password of one's own (the printed one
 * is a one-time password), so the setup chooses one on the page. The UI tests
 * then sign in with the admin's own password.
 */
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { randomBytes } from "node:crypto";
import { chromium } from "@playwright/test";
import { createFreshDatabase } from "../scripts/lib/test-database";
import { CHROMIUM_ARGS, findChromium } from "../scripts/lib/chromium";
import { chooseOwnPassword, startLikeAPerson } from "./first-run";

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
  const authSecret = randomBytes(32).toString("base64url");
  // The app role's password derives from the server's AUTH_SECRET (scripts/lib/app-role.ts): the same here.
  const db = await createFreshDatabase("e2e", { authSecret });
  const dataDir = path.join(STATE_DIR, "data");
  const app = await startLikeAPerson({
    // The owner's URL, as an operator gives it: npm start migrates with it and runs the app as its own role.
    databaseUrl: db.ownerUrl,
    port,
    dataDir,
    authSecret,
    // Webhooks reach public addresses only; e2e/ui/webhooks.spec.ts's receiver listens on 127.0.0.1.
    env: {
      METRICS_TOKEN,
      WEBHOOK_ALLOWED_HOSTS: "127.0.0.1",
      TRUSTED_PROXIES: E2E_TRUSTED_PROXY,
      SIGN_IN_ATTEMPTS_PER_MINUTE: String(E2E_SIGN_IN_ATTEMPTS_PER_MINUTE),
    },
  });
  const stop = async () => {
    await app.stop();
    await db.drop();
  };

  const firstRun = app.login;
  const password = `e2e-admin-${randomBytes(12).toString("base64url")}`;
  try {
    const browser = await chromium.launch({ executablePath: findChromium() ?? undefined, args: CHROMIUM_ARGS });
    try {
      const page = await browser.newPage({ baseURL: `http://127.0.0.1:${port}` });
      await page.goto("/login");
      await page.getByLabel("Email").fill(firstRun.email);
      await page.getByLabel("Password").fill(firstRun.password);
      await page.getByRole("button", { name: "Sign in" }).click();
      await page.waitForURL(/\/(account\/password|w\/demo)$/);
      if (page.url().endsWith("/account/password")) await chooseOwnPassword(page, firstRun.password, password);
      else throw new Error("the first sign-in with the printed one-time password did not ask for a new password");
      await page.waitForURL(/\/w\/demo$/);
    } finally {
      await browser.close();
    }
  } catch (error) {
    await stop();
    throw error;
  }
  // authSecret: e2e/ui/web-security.spec.ts checks it appears in no page and no client chunk.
  writeFileSync(
    LOGIN_FILE,
    JSON.stringify({
      email: firstRun.email,
      password,
      firstRunPassword: firstRun.password,
      databaseUrl: db.url,
      ownerUrl: db.ownerUrl,
      authSecret,
      dataDir,
    }),
  );
  return stop;
}
