import { randomBytes } from "node:crypto";
import { expect, test } from "@playwright/test";
import { signIn, signInAsAdmin } from "../helpers";

test("a wrong password says so without saying which part was wrong", async ({ page }) => {
  await signIn(page, "admin@basekv.local", "not-the-password");
  await expect(page.getByRole("alert").filter({ hasText: "Wrong email or password." })).toBeVisible();
});

test("five failed sign-ins lock the email with a clear message", async ({ page }) => {
  const email = `locked-${randomBytes(3).toString("hex")}@example.test`;
  for (let i = 0; i < 5; i++) {
    await signIn(page, email, `guess-${i}`);
    await expect(page.getByRole("alert").filter({ hasText: /Wrong email or password|locked/ })).toBeVisible();
  }
  await signIn(page, email, "guess-6");
  await expect(page.getByRole("alert").filter({ hasText: "locked for 15 minutes" })).toBeVisible();
});

test("sign out ends the session", async ({ page }) => {
  await signInAsAdmin(page);
  await page.getByRole("button", { name: "Account menu" }).click();
  await page.getByRole("menuitem", { name: "Sign out" }).click();
  await expect(page).toHaveURL(/\/login/);
  await page.goto("/w/demo");
  await expect(page).toHaveURL(/\/login/);
});

test.describe("theme", () => {
  test.use({ colorScheme: "light" });

  test("can be switched to dark and back, and is remembered", async ({ page }) => {
    await signInAsAdmin(page);
    const html = page.locator("html");
    await expect(html).not.toHaveClass(/dark/);
    await page.getByRole("button", { name: "Switch to dark theme" }).click();
    await expect(html).toHaveClass(/dark/);
    await page.reload();
    await expect(html).toHaveClass(/dark/);
    await page.getByRole("button", { name: "Switch to light theme" }).click();
    await expect(html).not.toHaveClass(/dark/);
  });
});
