import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect, test } from "@playwright/test";
import { createFreshDatabase } from "../../scripts/lib/test-database";
import { freePort } from "../../scripts/lib/ports";
import { chooseOwnPassword, startLikeAPerson } from "../first-run";
import { printedLogin, signIn, signInAsAdmin } from "../helpers";

/**
 * The seeded admin's first-run password is a one-time password (issue #17, finding 14): a first
 * run of `npm start` from nothing, watched from the beginning — its own database, data directory
 * and port, next to the suite's server.
 */
test("the seeded admin must choose a password at first sign-in; npm start then stops printing and keeping the first-run one", async ({
  browser,
}) => {
  test.setTimeout(240_000);
  const authSecret = randomBytes(32).toString("base64url");
  const db = await createFreshDatabase("first_run", { authSecret });
  const dataDir = mkdtempSync(path.join(os.tmpdir(), "basekv-first-run-"));
  const file = path.join(dataDir, "admin-login.json");
  const port = await freePort();
  const started = { app: null as Awaited<ReturnType<typeof startLikeAPerson>> | null };
  try {
    started.app = await startLikeAPerson({ databaseUrl: db.ownerUrl, port, dataDir, authSecret });
    const firstRun = started.app.login;
    expect(firstRun.password).toMatch(/^[0-9a-z-]{23}$/);
    expect(JSON.parse(readFileSync(file, "utf8"))).toEqual(firstRun);

    const context = await browser.newContext({ baseURL: `http://127.0.0.1:${port}` });
    const page = await context.newPage();
    await signIn(page, firstRun.email, firstRun.password);
    await expect(page).toHaveURL(/\/account\/password$/);
    await expect(page.getByText("You signed in with a one-time password")).toBeVisible();
    // Nowhere else to go until it is changed.
    for (const url of ["/", "/w/demo", "/w/demo/settings/members", "/w/demo/audit"]) {
      await page.goto(url);
      await expect(page, url).toHaveURL(/\/account\/password$/);
    }
    const exported = await page.request.get("/w/demo/audit/export?format=ndjson");
    expect(exported.status()).toBe(403);

    const own = `my-own-password-${randomBytes(6).toString("hex")}`;
    await chooseOwnPassword(page, firstRun.password, own);
    await expect(page).toHaveURL(/\/w\/demo$/);
    // Changed: the file that kept the first-run password in clear is gone.
    expect(existsSync(file)).toBe(false);
    await context.close();

    // The next start prints no password.
    await started.app.stop();
    started.app = await startLikeAPerson({ databaseUrl: db.ownerUrl, port, dataDir, authSecret });
    expect(started.app.login).toEqual({
      email: firstRun.email,
      password: "(changed since the first run — use your own)",
    });
    expect(started.app.output()).not.toContain(firstRun.password);
    expect(existsSync(file)).toBe(false);
  } finally {
    await started.app?.stop();
    await db.drop();
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test("the suite's own server: the printed first-run password no longer signs in, and is kept nowhere", async ({
  page,
}) => {
  const login = printedLogin();
  expect(login.firstRunPassword).not.toBe(login.password);
  await signIn(page, login.email, login.firstRunPassword);
  await expect(page.getByRole("alert").filter({ hasText: "Wrong email or password." })).toBeVisible();
  expect(existsSync(path.join(login.dataDir, "admin-login.json"))).toBe(false);
  await signInAsAdmin(page);
});
