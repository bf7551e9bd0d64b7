import { randomBytes } from "node:crypto";
import { expect, test } from "@playwright/test";
import { signIn, signInAsAdmin } from "../helpers";

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
