import { readFileSync } from "node:fs";
import path from "node:path";
import { expect, type Page } from "@playwright/test";

export function printedLogin(): { email: string; password: string; databaseUrl: string } {
  return JSON.parse(readFileSync(path.join(process.cwd(), "e2e", ".state", "login.json"), "utf8"));
}

export async function signIn(page: Page, email: string, password: string) {
  await page.goto("/login");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
}

export async function signInAsAdmin(page: Page) {
  const login = printedLogin();
  await signIn(page, login.email, login.password);
  await expect(page).toHaveURL(/\/w\/demo$/);
}
