import { randomBytes } from "node:crypto";
import { expect, test, type Page, type Response } from "@playwright/test";
import { openDialog, seedAgentWorkspace, signInAsAdmin } from "../helpers";

/**
 * The pages' Content Security Policy in a real browser (issue #17, item 15):
 * scripts run only with the nonce proxy.ts generates for each request. Every
 * page works under it — no CSP violation, no console error, React hydrated,
 * the theme script ran — and a script injected without the nonce does not run.
 * The headers of the other responses: e2e/ui/web-security.spec.ts.
 */

const SCRIPT_SRC = /(?:^|;\s*)script-src ([^;]*)/;

/** The page's CSP (exactly one header), checked, and its nonce. */
async function pageNonce(response: Response | null, label: string): Promise<string> {
  expect(response, label).not.toBeNull();
  const policies = (await response!.headersArray()).filter((h) => h.name.toLowerCase() === "content-security-policy");
  expect(policies, `${label}: one CSP header`).toHaveLength(1);
  const scriptSrc = SCRIPT_SRC.exec(policies[0]!.value)?.[1] ?? "";
  expect(scriptSrc, label).toMatch(/^'self' 'nonce-[A-Za-z0-9+/]{22}==' 'strict-dynamic'$/);
  expect(scriptSrc, label).not.toContain("unsafe-inline");
  expect(policies[0]!.value, label).toContain("object-src 'none'");
  return /'nonce-([^']+)'/.exec(scriptSrc)![1]!;
}

/** Everything the browser complains about from now on: CSP violations, console errors and warnings, uncaught errors. */
async function watch(page: Page): Promise<string[]> {
  const problems: string[] = [];
  page.on("console", (message) => {
    if (message.type() !== "error" && message.type() !== "warning") return;
    // The browser reports a page answered with 404 as a failed load; that one is asked for (the not-found page).
    // Judged by where the message comes from: it may arrive after the next navigation has begun.
    const from = `${message.location().url} ${page.url()}`;
    if (from.includes("/no-such-page") && message.text().includes("status of 404")) return;
    problems.push(`${page.url()}: console.${message.type()}: ${message.text()}`);
  });
  page.on("pageerror", (error) => problems.push(`${page.url()}: uncaught ${error.message}`));
  await page.exposeBinding("__reportViolation", (_source, text: string) => problems.push(`${page.url()}: ${text}`));
  // An init script runs in every document before the page's own scripts (and is not subject to the page's CSP).
  await page.addInitScript(() => {
    document.addEventListener("securitypolicyviolation", (e) => {
      const report = (window as unknown as { __reportViolation: (text: string) => void }).__reportViolation;
      report(`CSP violation: ${e.effectiveDirective} refused ${e.blockedURI || "inline"} ${e.sample}`);
    });
  });
  return problems;
}

/** Loads a page and waits until its scripts have run: React hydrated it and the theme script set the theme. */
async function visit(page: Page, url: string, status = 200): Promise<string> {
  const response = await page.goto(url);
  expect(response?.status(), url).toBe(status);
  const nonce = await pageNonce(response, `GET ${url}`);
  await expect(page.locator("html"), `${url}: the theme script ran`).toHaveClass(/\b(light|dark)\b/);
  await expect
    .poll(() => page.evaluate(() => Object.keys(document.body).some((k) => k.startsWith("__reactFiber$"))), {
      message: `${url}: React hydrated the page`,
    })
    .toBe(true);
  await page.waitForLoadState("networkidle");
  return nonce;
}

async function hrefOf(page: Page, listUrl: string, selector: string): Promise<string> {
  await page.goto(listUrl);
  const href = await page.locator(selector).first().getAttribute("href");
  expect(href, `${selector} on ${listUrl}`).toBeTruthy();
  return href!;
}

test("every page works under its nonce policy: no CSP violation, no console error, every script ran", async ({
  page,
  request,
}) => {
  test.setTimeout(180_000);
  // Something on every detail page: a key, a dead-lettered task and its escalation, the agent's identity and class.
  const suffix = randomBytes(3).toString("hex");
  const namespace = `csp-${suffix}.runs`;
  const agent = await seedAgentWorkspace({ workspace: "demo", namespace, grants: [`${namespace}:readwrite`] });
  const headers = { Authorization: `Bearer ${agent.key}` };
  expect((await request.put(`/api/v1/kv/${namespace}/k1`, { headers, data: { value: { n: 1 } } })).status()).toBe(201);
  const task = (await (await request.post("/api/v1/tasks", { headers, data: { namespace, input: {} } })).json()) as {
    id: string;
  };
  for (const data of [
    { type: "started" },
    { type: "step_failed", error: { type: "io", message: "x", retryable: false } },
  ])
    expect((await request.post(`/api/v1/tasks/${task.id}/events`, { headers, data })).status()).toBe(200);

  const problems = await watch(page);
  // Signed out: sign-in (and the redirect to it).
  const nonces = [await visit(page, "/login"), await visit(page, "/login")];
  expect(nonces[0], "a new nonce for every load").not.toBe(nonces[1]);
  await page.goto("/w/demo/audit");
  await expect(page).toHaveURL(/\/login\?next=%2Fw%2Fdemo%2Faudit$/);
  expect(problems, "signed out").toEqual([]);

  await signInAsAdmin(page);
  const namespacePage = await hrefOf(page, "/w/demo/namespaces", `a:text-is("${namespace}")`);
  const pages = [
    "/",
    "/w/demo",
    "/w/demo/namespaces",
    namespacePage,
    `${namespacePage}/entry?key=k1`,
    "/w/demo/identities",
    await hrefOf(page, "/w/demo/identities", `a:text-is("${agent.identity}")`),
    "/w/demo/workflows",
    await hrefOf(page, "/w/demo/workflows", 'a[href^="/w/demo/workflows/"]'),
    "/w/demo/tasks",
    `/w/demo/tasks/${task.id}`,
    "/w/demo/escalations",
    await hrefOf(page, "/w/demo/escalations", 'a[href^="/w/demo/escalations/esc_"]'),
    "/w/demo/budgets",
    "/w/demo/audit",
    "/w/demo/settings/members",
    "/w/demo/api",
    "/account/password",
  ];
  const seen = new Set<string>();
  for (const url of pages) seen.add(await visit(page, url));
  expect(seen.size, "every load its own nonce").toBe(pages.length);
  await visit(page, "/w/demo/no-such-page", 404);

  // What happens after the first load: a client-side navigation, and a dialog (Radix writes style attributes).
  await visit(page, "/w/demo");
  await page.getByRole("link", { name: "Audit trail" }).first().click();
  await expect(page).toHaveURL(/\/w\/demo\/audit$/);
  await page.goto(`${namespacePage}/entry?key=k1`);
  const dialog = await openDialog(page, page.getByRole("button", { name: "Delete key" }));
  await page.keyboard.press("Escape");
  await expect(dialog).toBeHidden();
  await page.waitForLoadState("networkidle");

  expect(problems, "signed in").toEqual([]);
});

/**
 * What an injection in the server's HTML looks like (a stored or reflected XSS): markup the HTML parser
 * inserts — a script without the nonce, one with a guessed nonce, an inline event handler — plus a control
 * with the page's own nonce, which must run (so the refusals are the policy's, not a broken page's).
 */
const injected = (nonce: string) =>
  [
    "<script>window.__ran_inline = true;</script>",
    '<script nonce="AAAAAAAAAAAAAAAAAAAAAA==">window.__ran_guessed_nonce = true;</script>',
    '<img alt="" src="data:," onerror="window.__ran_handler = true">',
    `<script nonce="${nonce}">window.__ran_with_nonce = true;</script>`,
  ].join("");

test("a script injected into a page's HTML without the request's nonce does not run; one with it does", async ({
  page,
}) => {
  const problems = await watch(page);
  for (const url of ["/login", "/w/demo/audit"]) {
    if (url !== "/login") await signInAsAdmin(page);
    // The real response — its status, its headers with the real CSP — with the markup added to its HTML.
    await page.route(
      (u) => u.pathname === url,
      async (route) => {
        if (route.request().resourceType() !== "document") return route.fallback();
        const response = await route.fetch();
        const nonce = /'nonce-([^']+)'/.exec(response.headers()["content-security-policy"] ?? "")?.[1] ?? "none";
        const html = (await response.text()).replace("<body", `${injected(nonce)}<body`);
        await route.fulfill({ response, body: html });
      },
    );
    problems.length = 0;
    await page.goto(url);
    await page.waitForLoadState("networkidle");
    const ran = await page.evaluate(() => {
      const flags = window as unknown as Record<string, boolean | undefined>;
      return {
        inline: flags.__ran_inline ?? false,
        guessedNonce: flags.__ran_guessed_nonce ?? false,
        handler: flags.__ran_handler ?? false,
        withNonce: flags.__ran_with_nonce ?? false,
      };
    });
    expect(ran, url).toEqual({ inline: false, guessedNonce: false, handler: false, withNonce: true });
    // The browser said why: the three refusals, all of scripts.
    const violations = problems.filter((p) => p.includes("CSP violation"));
    expect(violations, `${url}: ${problems.join("\n")}`).toHaveLength(3);
    for (const v of violations) expect(v).toMatch(/CSP violation: script-src-(elem|attr) refused inline/);
    await page.unrouteAll();
  }
});
