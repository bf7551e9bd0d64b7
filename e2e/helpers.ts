import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import path from "node:path";
import { createInterface } from "node:readline";
import { expect, type APIRequestContext, type Locator, type Page, type Request } from "@playwright/test";

/**
 * The admin login of the suite's server: the email `npm start` printed, and the password the
 * global setup chose at the first sign-in (the printed one was a one-time password).
 */
export function printedLogin(): {
  email: string;
  password: string;
  firstRunPassword: string;
  databaseUrl: string;
  dataDir: string;
  /** The server's AUTH_SECRET: a second instance beside it needs the same (its database role's password derives from it). */
  authSecret: string;
} {
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

export async function signOutFromMenu(page: Page) {
  await page.getByRole("button", { name: "Account menu" }).click();
  await page.getByRole("menuitem", { name: "Sign out" }).click();
  await expect(page).toHaveURL(/\/login/);
}

/** A person of their own (created through the CLI with a password they chose), so a test may sign them out. */
export async function newPerson(role: "admin" | "operator" | "auditor" | "viewer", workspace = "demo") {
  const suffix = randomBytes(4).toString("hex");
  const person = { email: `person-${suffix}@example.test`, password: `own-password-${suffix}` };
  await admin(
    "user",
    "create",
    "--email",
    person.email,
    "--password",
    person.password,
    "--workspace",
    workspace,
    "--role",
    role,
  );
  return person;
}

/** A server action's request as the page sent it: its URL, headers and encoded body, to send again. */
export type RecordedAction = { url: string; headers: Record<string, string>; body: string };

export async function recordAction(page: Page, submit: () => Promise<void>): Promise<RecordedAction> {
  const sent = page.waitForRequest((r: Request) => r.method() === "POST" && Boolean(r.headers()["next-action"]));
  await submit();
  const request = await sent;
  return { url: request.url(), headers: request.headers(), body: request.postDataBuffer()!.toString("latin1") };
}

/** Sends a recorded server action again with another client's cookies (its own request context). */
export function replayAction(request: APIRequestContext, action: RecordedAction, origin: string, body = action.body) {
  return request.post(action.url, {
    headers: {
      "Next-Action": action.headers["next-action"]!,
      "Content-Type": action.headers["content-type"]!,
      Accept: action.headers.accept ?? "text/x-component",
      Origin: origin,
    },
    data: Buffer.from(body, "latin1"),
    maxRedirects: 0,
  });
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

type Pending = { args: string[]; resolve: (value: Record<string, unknown>) => void; reject: (error: Error) => void };
let batch: { child: ChildProcessWithoutNullStreams; pending: Pending[] } | undefined;

/**
 * The real admin CLI against the e2e database: `npm run admin -- batch`, one process per Playwright
 * worker for the whole run (a process per command cost seconds of Node.js start each on a busy
 * machine), fed one command per line. Resolves to the command's JSON output; rejects with its error.
 */
export function admin(...args: string[]): Promise<Record<string, unknown>> {
  batch ??= startBatch();
  const { child, pending } = batch;
  return new Promise((resolve, reject) => {
    pending.push({ args, resolve, reject });
    child.stdin.write(`${JSON.stringify(args)}\n`);
  });
}

function startBatch() {
  const child = spawn(
    process.execPath,
    [path.join("node_modules", "tsx", "dist", "cli.mjs"), "--conditions=react-server", "scripts/admin.ts", "batch"],
    {
      // The server's data directory: the same audit signing key and anchor file.
      env: {
        ...process.env,
        DATABASE_URL: printedLogin().databaseUrl,
        BASEKV_DATA_DIR: path.join(process.cwd(), "e2e", ".state", "data"),
      },
    },
  );
  const started = { child, pending: [] as Pending[] };
  let stderr = "";
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  createInterface({ input: child.stdout }).on("line", (line) => {
    const next = started.pending.shift();
    if (!next) return;
    const answer = JSON.parse(line) as { ok: boolean; result?: Record<string, unknown>; error?: string };
    if (answer.ok) next.resolve(answer.result!);
    else next.reject(new Error(`admin ${next.args.join(" ")} failed: ${answer.error}`));
  });
  child.on("exit", (code) => {
    if (batch === started) batch = undefined;
    for (const p of started.pending.splice(0)) p.reject(new Error(`admin batch exited (${code}): ${stderr}`));
  });
  // The worker may exit with the batch idle; its end of stdin closing ends the batch.
  child.unref();
  (child.stdin as unknown as { unref?: () => void }).unref?.();
  (child.stdout as unknown as { unref?: () => void }).unref?.();
  (child.stderr as unknown as { unref?: () => void }).unref?.();
  return started;
}

/**
 * A class, an identity and a key, set up through the CLI: in a fresh workspace,
 * or (with `workspace`) in an existing one, under unique names.
 */
export async function seedAgentWorkspace(
  options: { grants?: string[]; keyArgs?: string[]; workspace?: string; namespace?: string } = {},
) {
  const suffix = randomBytes(4).toString("hex");
  const slug = options.workspace ?? `e2e-${suffix}`;
  const cls = options.workspace ? `invoices-${suffix}` : "invoices";
  const bot = options.workspace ? `invoice-bot-${suffix}` : "invoice-bot";
  if (!options.workspace) await admin("workspace", "create", "--slug", slug, "--daily-requests", "1000");
  await admin("namespace", "create", "--workspace", slug, "--name", options.namespace ?? "billing.runs");
  await admin("class", "create", "--workspace", slug, "--name", cls);
  const grants = options.grants ?? ["billing.*:readwrite"];
  await admin(
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
  const key = (await admin("key", "create", "--workspace", slug, "--identity", bot, ...(options.keyArgs ?? []))) as {
    id: string;
    key: string;
  };
  return { slug, key: key.key, credentialId: key.id, identity: bot };
}
