import { randomBytes } from "node:crypto";
import { expect, test, type Browser, type BrowserContext, type Page } from "@playwright/test";
import pg from "pg";
import {
  admin,
  newPerson,
  openDialog,
  printedLogin,
  recordAction,
  replayAction,
  signIn,
  signInAsAdmin,
  signOutFromMenu,
} from "../helpers";

/**
 * Dashboard sessions end when they should (issue #17, findings 3, 7 and 11), attacked in a real
 * browser against the production server: a copied session cookie, a second browser, a member
 * signed out by an admin or removed, a one-time password used to call actions directly, and
 * guesses at the current password on the password form.
 */

async function signedIn(browser: Browser, person: { email: string; password: string }, landing = /\/w\/demo$/) {
  const context = await browser.newContext();
  const page = await context.newPage();
  await signIn(page, person.email, person.password);
  await expect(page).toHaveURL(landing);
  return { context, page };
}

/** A second browser holding a copy of the first one's cookies (what a stolen cookie is). */
async function copyOf(browser: Browser, context: BrowserContext) {
  const copy = await browser.newContext();
  await copy.addCookies(await context.cookies());
  return { context: copy, page: await copy.newPage() };
}

/** The session works: the dashboard opens, the session endpoint names the user, the export answers. */
async function expectSignedIn(page: Page, path = "/w/demo") {
  await page.goto(path);
  await expect(page).toHaveURL(new RegExp(`${path}$`));
}

/**
 * The session is over on this very request, with the cookie still sent: the export refused, the
 * dashboard sends to sign-in, Auth.js's session endpoint has no session (and clears the cookie).
 */
async function expectSignedOut(page: Page, path = "/w/demo") {
  const exported = await page.request.get(`${path}/audit/export?format=ndjson`, { maxRedirects: 0 });
  expect(exported.status()).toBe(401);
  await page.goto(path);
  await expect(page).toHaveURL(/\/login/);
  const session = await page.request.get("/api/auth/session");
  expect(await session.json()).toBeNull();
}

function database() {
  return new pg.Client({ connectionString: printedLogin().databaseUrl });
}

test("a copied session cookie stops working the moment its browser signs out", async ({ browser }) => {
  const person = await newPerson("auditor");
  const owner = await signedIn(browser, person);
  const thief = await copyOf(browser, owner.context);
  await expectSignedIn(thief.page);
  const before = await thief.page.request.get("/w/demo/audit/export?format=ndjson");
  expect(before.status()).toBe(200); // the copy works while the session lives

  await signOutFromMenu(owner.page);
  await expectSignedOut(thief.page);
  await owner.context.close();
  await thief.context.close();
});

test("signing out one browser leaves the person's other browsers signed in", async ({ browser }) => {
  const person = await newPerson("viewer");
  const first = await signedIn(browser, person);
  const second = await signedIn(browser, person);
  await signOutFromMenu(first.page);
  await expectSignedIn(second.page);
  await first.context.close();
  await second.context.close();
});

test("changing the password in one browser ends the sessions of every other browser, not its own", async ({
  browser,
}) => {
  const person = await newPerson("auditor");
  const laptop = await signedIn(browser, person);
  const phone = await signedIn(browser, person);
  const stolen = await copyOf(browser, phone.context);

  await laptop.page.goto("/account/password");
  await laptop.page.getByLabel("Current password").fill(person.password);
  await laptop.page.getByLabel("New password", { exact: true }).fill("a-new-password-after-a-scare");
  await laptop.page.getByLabel("Confirm new password").fill("a-new-password-after-a-scare");
  await laptop.page.getByRole("button", { name: "Save password" }).click();
  await expect(laptop.page).toHaveURL(/\/w\/demo$/);

  await expectSignedOut(phone.page);
  await expectSignedOut(stolen.page);
  await expectSignedIn(laptop.page, "/w/demo/audit");
  for (const c of [laptop, phone, stolen]) await c.context.close();
});

test("an admin signs a member out everywhere: their next request, in any workspace, goes to sign-in", async ({
  browser,
  page,
}) => {
  test.setTimeout(120_000); // four sign-ins (bcrypt) and a CLI run: a minute alone, more beside other specs
  const member = await newPerson("operator");
  // The member also belongs to a workspace the admin is no member of: signing out is of the person.
  const other = `e2e-other-${randomBytes(3).toString("hex")}`;
  await admin("workspace", "create", "--slug", other);
  await admin("user", "create", "--email", member.email, "--workspace", other, "--role", "viewer");
  const desk = await signedIn(browser, member);
  const laptop = await signedIn(browser, member);
  await expectSignedIn(laptop.page, `/w/${other}`);

  await signInAsAdmin(page);
  await page.goto("/w/demo/settings/members");
  const dialog = await openDialog(page, page.getByRole("button", { name: `Sign out ${member.email} everywhere` }));
  await expect.soft(dialog).toContainText("every browser");
  await expect.soft(dialog).toContainText("every workspace");
  await dialog.getByLabel("Reason").fill("laptop reported stolen");
  await dialog.getByRole("button", { name: "Sign out everywhere" }).click();
  await expect(dialog).toBeHidden();
  await expect(page.getByText(`Signed ${member.email} out everywhere`)).toBeVisible();

  await expectSignedOut(desk.page);
  await expectSignedOut(laptop.page, `/w/${other}`);
  // The admin's own session is untouched, and the member can sign in again.
  await expectSignedIn(page, "/w/demo/settings/members");
  const again = await signedIn(browser, member);
  for (const c of [desk, laptop, again]) await c.context.close();
});

test("removing a member ends their sessions at once", async ({ browser, page }) => {
  const member = await newPerson("viewer");
  const desk = await signedIn(browser, member);

  await signInAsAdmin(page);
  await page.goto("/w/demo/settings/members");
  const dialog = await openDialog(page, page.getByRole("button", { name: `Remove ${member.email}` }));
  await expect.soft(dialog).toContainText("signed out everywhere");
  await dialog.getByLabel("Reason").fill("left the team");
  await dialog.getByRole("button", { name: "Remove member" }).click();
  await expect(dialog).toBeHidden();

  await expectSignedOut(desk.page);
  await desk.context.close();
});

test("a member still on a one-time password can call no server action and cannot export the audit trail", async ({
  browser,
  page,
  baseURL,
}) => {
  await signInAsAdmin(page);
  // A real server action, recorded from the admin's page: its id, headers and encoded body.
  await page.goto("/w/demo/namespaces");
  const suffix = randomBytes(3).toString("hex");
  const names = { admin: `otp.admin_${suffix}`, member: `otp.member_${suffix}` };
  const action = await recordAction(page, async () => {
    await page.getByLabel("Name", { exact: true }).fill(names.admin);
    await page.getByRole("button", { name: "Create namespace" }).click();
  });
  await expect(page.getByRole("link", { name: names.admin, exact: true })).toBeVisible();

  // An admin member added with a one-time password, who signs in with it and goes no further.
  await page.goto("/w/demo/settings/members");
  const email = `otp-${suffix}@example.test`;
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Role", { exact: true }).selectOption("admin");
  await page.getByRole("button", { name: "Add member" }).click();
  const otp = (await page.getByTestId("one-time-password").textContent())!.trim();
  const member = await signedIn(browser, { email, password: otp }, /\/account\/password$/);
  await member.page.goto("/w/demo/namespaces");
  await expect(member.page).toHaveURL(/\/account\/password$/);

  // The same action, posted with the member's session straight to the server.
  const replayed = await replayAction(
    member.page.request,
    action,
    new URL(baseURL!).origin,
    action.body.replace(names.admin, names.member),
  );
  expect(await replayed.text()).toContain("Choose your own password first");
  await page.goto("/w/demo/namespaces");
  await expect(page.getByRole("link", { name: names.admin, exact: true })).toBeVisible();
  await expect(page.getByRole("link", { name: names.member, exact: true })).toHaveCount(0);

  const exported = await member.page.request.get("/w/demo/audit/export?format=ndjson");
  expect(exported.status()).toBe(403);
  expect(await exported.text()).not.toContain(names.admin);
  await member.context.close();
});

test("the current password can be guessed at most 5 times in 15 minutes, even in parallel; then even the right one is refused", async ({
  browser,
  baseURL,
}) => {
  const person = await newPerson("viewer");
  const { context, page } = await signedIn(browser, person);
  await page.goto("/account/password");
  const wrong = async (guess: string) => {
    await page.getByLabel("Current password").fill(guess);
    await page.getByLabel("New password", { exact: true }).fill("a-password-of-my-own");
    await page.getByLabel("Confirm new password").fill("a-password-of-my-own");
    await page.getByRole("button", { name: "Save password" }).click();
  };
  const action = await recordAction(page, () => wrong("guess-0"));
  await expect(page.getByText("The current password is not right.")).toBeVisible();

  // Twelve more guesses at once, straight to the server.
  const origin = new URL(baseURL!).origin;
  await Promise.all(
    Array.from({ length: 12 }, (_, i) =>
      replayAction(page.request, action, origin, action.body.replace("guess-0", `guess-${i + 1}`)),
    ),
  );
  // Then one at a time until refused.
  for (let i = 0; i < 6; i++) {
    const answer = await (
      await replayAction(page.request, action, origin, action.body.replace("guess-0", `late-${i}`))
    ).text();
    if (answer.includes("Too many wrong current passwords")) break;
  }
  const db = database();
  await db.connect();
  try {
    const { rows } = await db.query(
      `SELECT count(*)::int AS n FROM audit_event e JOIN app_user u ON u.id = e.actor_id
       WHERE u.email = $1 AND e.action = 'auth.password_change_failed'`,
      [person.email],
    );
    expect(rows[0].n).toBe(5);
  } finally {
    await db.end();
  }

  // The right password is refused now, on the page.
  await page.goto("/account/password");
  await page.getByLabel("Current password").fill(person.password);
  await page.getByLabel("New password", { exact: true }).fill("a-password-of-my-own");
  await page.getByLabel("Confirm new password").fill("a-password-of-my-own");
  await page.getByRole("button", { name: "Save password" }).click();
  await expect(page.getByText("Too many wrong current passwords")).toBeVisible();
  await context.close();
  // Unchanged: the old password still signs in.
  const again = await signedIn(browser, person);
  await again.context.close();
});
