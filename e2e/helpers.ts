import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import path from "node:path";
import { expect, type Locator, type Page } from "@playwright/test";

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

/**
 * Clicks a button that opens a dialog until the dialog is there: right after a
 * navigation or reload the button is server-rendered before React hydrates it,
 * and a click in that moment does nothing (seen on a slow machine).
 */
export async function openDialog(page: Page, trigger: Locator): Promise<Locator> {
  const dialog = page.getByRole("dialog");
  await expect(async () => {
    if (!(await dialog.isVisible())) await trigger.click();
    await expect(dialog).toBeVisible({ timeout: 2_000 });
  }).toPass({ timeout: 20_000 });
  return dialog;
}

/** Runs the real admin CLI against the e2e database and returns its JSON output. */
export function admin(...args: string[]): Record<string, unknown> {
  const result = spawnSync(
    process.execPath,
    [path.join("node_modules", "tsx", "dist", "cli.mjs"), "--conditions=react-server", "scripts/admin.ts", ...args],
    {
      encoding: "utf8",
      // The server's data directory: the same audit signing key and anchor file.
      env: { ...process.env, DATABASE_URL: printedLogin().databaseUrl, BASEKV_DATA_DIR: path.join(process.cwd(), "e2e", ".state", "data") },
    },
  );
  if (result.status !== 0) throw new Error(`admin ${args.join(" ")} failed: ${result.stderr}`);
  return JSON.parse(result.stdout) as Record<string, unknown>;
}

/**
 * A class, an identity and a key, set up through the CLI: in a fresh workspace,
 * or (with `workspace`) in an existing one, under unique names.
 */
export function seedAgentWorkspace(
  options: { grants?: string[]; keyArgs?: string[]; workspace?: string; namespace?: string } = {},
) {
  const suffix = randomBytes(4).toString("hex");
  const slug = options.workspace ?? `e2e-${suffix}`;
  const cls = options.workspace ? `invoices-${suffix}` : "invoices";
  const bot = options.workspace ? `invoice-bot-${suffix}` : "invoice-bot";
  if (!options.workspace) admin("workspace", "create", "--slug", slug, "--daily-requests", "1000");
  admin("namespace", "create", "--workspace", slug, "--name", options.namespace ?? "billing.runs");
  admin("class", "create", "--workspace", slug, "--name", cls);
  const grants = options.grants ?? ["billing.*:readwrite"];
  admin(
    "identity",
    "create",
    "--workspace",
    slug,
    "--name",
    bot,
    "--class",
    cls,
    ...grants.flatMap((g) => ["--grant", g]),
  );
  const key = admin("key", "create", "--workspace", slug, "--identity", bot, ...(options.keyArgs ?? [])) as {
    id: string;
    key: string;
  };
  return { slug, key: key.key, credentialId: key.id, identity: bot };
}
