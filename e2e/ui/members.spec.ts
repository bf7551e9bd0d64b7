import { randomBytes } from "node:crypto";
import { expect, test } from "@playwright/test";
import { admin, signIn, signInAsAdmin } from "../helpers";

test("admin signs in with the printed credentials, adds a member, who signs in with the one-time password", async ({
  page,
  browser,
}) => {
  await page.goto("/");
  await expect(page).toHaveURL(/\/login/);
  await signInAsAdmin(page);
  await expect(page.getByRole("heading", { name: "Demo workspace" })).toBeVisible();

  await page.getByRole("link", { name: "Members" }).first().click();
  await expect(page.getByRole("heading", { name: "Members", exact: true })).toBeVisible();
  const email = `oncall-${randomBytes(3).toString("hex")}@example.test`;
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Role", { exact: true }).selectOption("operator");
  await page.getByRole("button", { name: "Add member" }).click();
  const otp = (await page.getByTestId("one-time-password").textContent())!.trim();
  expect(otp).toMatch(/^[0-9a-z-]{23}$/);
  await expect(page.getByRole("table", { name: "Members" }).getByText(email)).toBeVisible();
  await expect(page.getByLabel(`Role of ${email}`)).toHaveValue("operator");

  // The new operator, in a separate browser session.
  const context = await browser.newContext();
  const other = await context.newPage();
  await signIn(other, email, otp);
  await expect(other).toHaveURL(/\/account\/password$/);
  await other.getByLabel("Current password").fill(otp);
  await other.getByLabel("New password", { exact: true }).fill("a-much-better-password");
  await other.getByLabel("Confirm new password").fill("a-much-better-password");
  await other.getByRole("button", { name: "Save password" }).click();
  await expect(other).toHaveURL(/\/w\/demo$/);
  // Operators do not manage members: no link, and the page itself refuses on the server.
  await expect(other.getByRole("link", { name: "Members" })).toHaveCount(0);
  await other.goto("/w/demo/settings/members");
  await expect(other.getByRole("heading", { name: "You don’t have access to this page" })).toBeVisible();
  await context.close();
});

test("changing a role and removing a member ask for confirmation and a reason", async ({ page }) => {
  await signInAsAdmin(page);
  await page.goto("/w/demo/settings/members");
  const email = `temp-${randomBytes(3).toString("hex")}@example.test`;
  await page.getByLabel("Email").fill(email);
  await page.getByRole("button", { name: "Add member" }).click();
  await expect(page.getByTestId("one-time-password")).toBeVisible();

  await page.getByLabel(`Role of ${email}`).selectOption("auditor");
  await page
    .getByRole("row", { name: new RegExp(email) })
    .getByRole("button", { name: "Save" })
    .click();
  await expect(page.getByText("Role changed from viewer to auditor.")).toBeVisible();

  await page.getByRole("button", { name: `Remove ${email}` }).click();
  const dialog = page.getByRole("dialog", { name: `Remove ${email}?` });
  await dialog.getByRole("button", { name: "Remove member" }).click();
  await expect(dialog).toBeVisible(); // the reason is required
  await dialog.getByLabel("Reason").fill("temporary access ended");
  await dialog.getByRole("button", { name: "Remove member" }).click();
  await expect(dialog).toBeHidden();
  await expect(page.getByRole("table", { name: "Members" }).getByText(email)).toHaveCount(0);
});

test("the last admin cannot be demoted", async ({ page }) => {
  await signInAsAdmin(page);
  await page.goto("/w/demo/settings/members");
  const row = page.getByRole("row", { name: /admin@basekv\.local/ });
  await row.getByRole("combobox").selectOption("viewer");
  await row.getByRole("button", { name: "Save" }).click();
  await expect(row.getByRole("alert")).toContainText("at least one admin");
});

test("an admin of workspace B adding the email of A's user sees exactly what a new email shows, and nothing of A (issue #17, finding 8)", async ({
  page,
  browser,
}) => {
  const suffix = randomBytes(3).toString("hex");
  const [a, b] = [`tenant-a-${suffix}`, `tenant-b-${suffix}`];
  await admin("workspace", "create", "--slug", a);
  await admin("workspace", "create", "--slug", b);
  const aUser = { email: `a-user-${suffix}@example.test`, password: `pw-a-${randomBytes(8).toString("hex")}` };
  const bAdmin = { email: `b-admin-${suffix}@example.test`, password: `pw-b-${randomBytes(8).toString("hex")}` };
  await admin(
    "user",
    "create",
    "--email",
    aUser.email,
    "--password",
    aUser.password,
    "--name",
    "Name Set In A",
    "--workspace",
    a,
    "--role",
    "operator",
  );
  await admin("user", "create", "--email", bAdmin.email, "--password", bAdmin.password, "--workspace", b, "--role", "admin");

  // A's user signs in and uses A, in a browser of their own.
  const context = await browser.newContext();
  const other = await context.newPage();
  await signIn(other, aUser.email, aUser.password);
  await expect(other).toHaveURL(new RegExp(`/w/${a}$`));
  await context.close();

  // B's admin adds A's user, then an email nobody has used.
  await signIn(page, bAdmin.email, bAdmin.password);
  await expect(page).toHaveURL(new RegExp(`/w/${b}$`));
  await page.goto(`/w/${b}/settings/members`);
  const newcomer = `newcomer-${suffix}@example.test`;
  const otpPattern = /[0-9a-z]{5}(-[0-9a-z]{5}){3}/g;
  const add = async (email: string) => {
    await page.getByLabel("Email").fill(email);
    await page.getByLabel("Role", { exact: true }).selectOption("viewer");
    await page.getByRole("button", { name: "Add member" }).click();
    const answer = page.getByRole("status").filter({ hasText: `Added ${email}` });
    await expect(answer).toBeVisible();
    return (await answer.innerText()).replaceAll(email, "<email>").replace(otpPattern, "<one-time password>");
  };
  const toExisting = await add(aUser.email);
  const toNewcomer = await add(newcomer);
  expect(toExisting).toContain("<one-time password>");
  expect(toExisting).toEqual(toNewcomer);

  // The members table: the same row for both, "never" seen here, no name or sign-in from A.
  const table = page.getByRole("table", { name: "Members" });
  const row = async (email: string) =>
    (await table.getByRole("row", { name: new RegExp(email.replace(/[.]/g, "\\.")) }).innerText()).replaceAll(
      email,
      "<email>",
    );
  await expect(table.getByText(newcomer)).toBeVisible();
  expect(await row(aUser.email)).toEqual(await row(newcomer));
  expect(await row(aUser.email)).toContain("never");
  await expect(table).not.toContainText("Name Set In A");
});
