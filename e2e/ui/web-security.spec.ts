import { randomBytes } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { expect, request as playwrightRequest, test, type Page, type Response } from "@playwright/test";
import { METRICS_TOKEN } from "../global-setup";
import { printedLogin, seedAgentWorkspace, signInAsAdmin } from "../helpers";

/**
 * Web security of the dashboard against the running production server (issue #10):
 * CSRF on server actions, session cookie flags, security headers, and no secret in
 * any page or client chunk. Sign-in lockout and password rules are proved elsewhere
 * (lib/core/lockout.test.ts, lib/server/auth/verify-sign-in.integration.test.ts,
 * e2e/ui/sign-in.spec.ts; tests/authorization-matrix.integration.test.ts for the
 * password rules).
 */

const login = () => printedLogin() as ReturnType<typeof printedLogin> & { authSecret: string };

async function namespaceExists(page: Page, name: string): Promise<boolean> {
  await page.goto("/w/demo/namespaces");
  await expect(page.getByRole("heading", { level: 1 })).toBeVisible();
  return (await page.getByRole("link", { name, exact: true }).count()) > 0;
}

test("a server action posted from another origin is refused and changes nothing; the same post from the app's origin works", async ({
  page,
  baseURL,
}) => {
  await signInAsAdmin(page);
  await page.goto("/w/demo/namespaces");
  const suffix = randomBytes(3).toString("hex");
  const names = { real: `csrf.real_${suffix}`, foreign: `csrf.evil_${suffix}`, same: `csrf.same_${suffix}` };

  // A real submission from the page, recorded: the action id, its headers and its encoded body.
  const recorded = page.waitForRequest((r) => r.method() === "POST" && Boolean(r.headers()["next-action"]));
  await page.getByLabel("Name", { exact: true }).fill(names.real);
  await page.getByRole("button", { name: "Create namespace" }).click();
  const action = await recorded;
  await expect(page.getByRole("link", { name: names.real, exact: true })).toBeVisible();
  const body = action.postDataBuffer()!.toString("latin1");
  expect(body).toContain(names.real);
  const headers = action.headers();
  const replay = (origin: string, name: string) =>
    page.request.post(action.url(), {
      headers: {
        "Next-Action": headers["next-action"]!,
        "Content-Type": headers["content-type"]!,
        Accept: headers.accept ?? "text/x-component",
        Origin: origin,
      },
      data: Buffer.from(body.replace(names.real, name), "latin1"),
      maxRedirects: 0,
    });

  // Same request, same session cookie, another site's Origin: refused by Next's origin check.
  for (const origin of ["https://evil.example", "null", `http://127.0.0.1.evil.example:${new URL(baseURL!).port}`]) {
    const foreign = await replay(origin, names.foreign);
    expect(foreign.status(), `Origin: ${origin}`).toBeGreaterThanOrEqual(400);
  }
  expect(await namespaceExists(page, names.foreign)).toBe(false);

  // The control: from the app's own origin the very same replay is accepted — so the refusal above was the origin's.
  const same = await replay(new URL(baseURL!).origin, names.same);
  expect(same.status()).toBe(200);
  expect(await namespaceExists(page, names.same)).toBe(true);
});

test("the session cookie is HttpOnly and SameSite=Lax, not Secure over plain HTTP", async ({ page, context }) => {
  await signInAsAdmin(page);
  const cookies = await context.cookies();
  const session = cookies.find((c) => c.name === "authjs.session-token");
  expect(session, cookies.map((c) => c.name).join(", ")).toBeDefined();
  expect(session).toMatchObject({ httpOnly: true, sameSite: "Lax", secure: false, path: "/" });
});

test("behind an HTTPS proxy (X-Forwarded-Proto: https) the session cookie is __Secure-, Secure, HttpOnly, SameSite=Lax", async ({
  baseURL,
}) => {
  // A client of its own: cookies are carried by hand, since a Secure cookie would not be sent over this plain-HTTP hop.
  const api = await playwrightRequest.newContext({ baseURL, extraHTTPHeaders: { "X-Forwarded-Proto": "https" } });
  try {
    const csrf = await api.get("/api/auth/csrf");
    expect(csrf.status()).toBe(200);
    const csrfCookie = csrf
      .headersArray()
      .find((h) => h.name.toLowerCase() === "set-cookie" && /csrf-token/.test(h.value));
    expect(csrfCookie?.value).toMatch(/^__Host-authjs\.csrf-token=/);
    expect(csrfCookie?.value).toMatch(/;\s*Secure/i);
    const { csrfToken } = (await csrf.json()) as { csrfToken: string };
    const { email, password } = login();
    const signedIn = await api.post("/api/auth/callback/credentials", {
      form: { email, password, csrfToken, callbackUrl: "/" },
      headers: { Cookie: csrfCookie!.value.split(";")[0]! },
      maxRedirects: 0,
    });
    const session = signedIn
      .headersArray()
      .find((h) => h.name.toLowerCase() === "set-cookie" && /session-token=/.test(h.value));
    expect(session?.value, `status ${signedIn.status()}`).toMatch(/^__Secure-authjs\.session-token=/);
    expect(session!.value).toMatch(/;\s*Secure/i);
    expect(session!.value).toMatch(/;\s*HttpOnly/i);
    expect(session!.value).toMatch(/;\s*SameSite=Lax/i);
  } finally {
    await api.dispose();
  }
});

// Pages: scripts only with the request's nonce (e2e/ui/content-security-policy.spec.ts proves what that blocks).
const PAGE_CSP =
  /^default-src 'self'; script-src 'self' 'nonce-[A-Za-z0-9+/]{22}==' 'strict-dynamic'; (?!.*unsafe-eval).*object-src 'none'.*base-uri 'self'.*form-action 'self'.*frame-ancestors 'none'/;
// JSON: nothing runs, loads or frames it.
const API_CSP = /^default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'$/;
const EXPECTED_HEADERS: Record<string, RegExp> = {
  "content-security-policy": PAGE_CSP,
  "x-content-type-options": /^nosniff$/,
  "x-frame-options": /^DENY$/,
  "referrer-policy": /^strict-origin-when-cross-origin$/,
  "permissions-policy": /camera=\(\).*microphone=\(\).*geolocation=\(\)/,
};

function expectSecurityHeaders(response: Response | null, label: string) {
  expect(response, label).not.toBeNull();
  const headers = response!.headers();
  for (const [name, pattern] of Object.entries(EXPECTED_HEADERS))
    expect(headers[name], `${label}: ${name}`).toMatch(pattern);
  expect(headers["x-powered-by"], `${label}: x-powered-by`).toBeUndefined();
}

test("every response carries the CSP and the other security headers, without X-Powered-By", async ({ page }) => {
  expectSecurityHeaders(await page.goto("/login"), "GET /login");
  await signInAsAdmin(page);
  for (const url of ["/w/demo", "/w/demo/audit", "/account/password", "/w/demo/no-such-page"]) {
    expectSecurityHeaders(await page.goto(url), `GET ${url}`);
  }
  for (const url of ["/api/health", "/api/v1/policy", "/api/v1/no-such-endpoint"]) {
    const response = await page.request.get(url);
    for (const [name, pattern] of Object.entries({ ...EXPECTED_HEADERS, "content-security-policy": API_CSP }))
      expect(response.headers()[name], `GET ${url}: ${name}`).toMatch(pattern);
    expect(response.headers()["x-powered-by"]).toBeUndefined();
  }
});

function staticFiles(dir: string): string[] {
  return (readdirSync(dir, { recursive: true }) as string[])
    .map((f) => path.join(dir, f))
    .filter((f) => /\.(js|css|html|json|txt|map)$/.test(f));
}

test("no secret in any page's HTML, in any response the dashboard loads, or in the client bundle", async ({ page }) => {
  const { authSecret, databaseUrl, password } = login();
  // A key issued during this run (printed once by the CLI), and the secrets of the server.
  const agent = await seedAgentWorkspace({ workspace: "demo", namespace: `sec-${randomBytes(3).toString("hex")}.state` });
  expect(agent.key).toMatch(/^bkv_/);
  const secrets: Record<string, string> = {
    AUTH_SECRET: authSecret,
    "the API key": agent.key,
    "the key without its display prefix": agent.key.slice(12),
    METRICS_TOKEN,
    "the database URL": databaseUrl,
    "the admin password": password,
  };
  for (const [name, value] of Object.entries(secrets)) expect(value.length, name).toBeGreaterThan(16);

  const bodies: { url: string; text: string }[] = [];
  page.on("response", async (response) => {
    const type = response.request().resourceType();
    if (!["document", "fetch", "xhr", "script"].includes(type)) return;
    const text = await response.text().catch(() => "");
    bodies.push({ url: response.url(), text });
  });
  await signInAsAdmin(page);
  await page.goto("/w/demo/identities");
  await page.getByRole("link", { name: agent.identity, exact: true }).click();
  await expect(page.getByText(agent.key.slice(0, 12)).first()).toBeVisible(); // the key's display prefix is shown
  for (const url of [
    "/w/demo",
    "/w/demo/audit",
    "/w/demo/namespaces",
    "/w/demo/tasks",
    "/w/demo/budgets",
    "/w/demo/api",
  ]) {
    await page.goto(url);
    await page.waitForLoadState("networkidle");
  }
  await page.goto("/w/demo/audit?action=credential.*");
  await page.waitForLoadState("networkidle");
  expect(bodies.length).toBeGreaterThan(10);
  for (const { url, text } of bodies) {
    for (const [name, value] of Object.entries(secrets)) expect(text.includes(value), `${name} in ${url}`).toBe(false);
  }

  // The client bundle the browser downloads: every file under .next/static.
  const files = staticFiles(path.join(process.cwd(), ".next", "static"));
  expect(files.length).toBeGreaterThan(10);
  for (const file of files) {
    const text = readFileSync(file, "utf8");
    for (const [name, value] of Object.entries(secrets)) expect(text.includes(value), `${name} in ${file}`).toBe(false);
    expect(text, `a key-shaped string in ${file}`).not.toMatch(/bkv_[A-Za-z0-9_-]{43}/);
    expect(text, `server environment in ${file}`).not.toMatch(/AUTH_SECRET|DATABASE_URL|METRICS_TOKEN/);
  }
});
