import http from "node:http";
import type { AddressInfo } from "node:net";
import { randomBytes } from "node:crypto";
import { expect, test, type Page } from "@playwright/test";
import { admin, seedAgentWorkspace, signIn, signInAsAdmin } from "../helpers";

/**
 * SSRF through webhook URLs (issue #17): an admin cannot point a class's
 * webhook into the server's own network, and what a destination answered (the
 * port scanner's output) and the URL itself (a bearer secret for Slack) are the
 * admins' — a viewer or an operator sees neither, on the escalation page or in
 * the audit trail. The receiver here is on 127.0.0.1, which the e2e server
 * allows (WEBHOOK_ALLOWED_HOSTS, e2e/global-setup.ts); 169.254.169.254 stays refused.
 */
test("webhook URLs: private destinations refused on save; the URL and the delivery detail shown to admins only", async ({
  page,
  browser,
  request,
}) => {
  test.slow(); // three people sign in, and a background job has to run
  const receiver = http.createServer((req, res) => {
    req.resume();
    res.writeHead(500).end("internal detail");
  });
  await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
  const port = (receiver.address() as AddressInfo).port;
  try {
    const suffix = randomBytes(3).toString("hex");
    const namespace = `hook-${suffix}.runs`;
    const agent = await seedAgentWorkspace({ workspace: "demo", namespace, grants: [`${namespace}:readwrite`] });
    const className = agent.identity.replace("invoice-bot-", "invoices-"); // seedAgentWorkspace's naming
    const people = { viewer: `viewer-${suffix}@example.test`, operator: `operator-${suffix}@example.test` };
    for (const [role, email] of Object.entries(people))
      await admin(
        "user",
        "create",
        "--email",
        email,
        "--password",
        `password-${suffix}-1`,
        "--workspace",
        "demo",
        "--role",
        role,
      );
    const secretPath = `/services/T0/B0/e2e${suffix}secretpath`;
    const hookUrl = `http://127.0.0.1:${port}${secretPath}`;

    // The admin: a cloud metadata address is refused with a form error; the receiver is accepted.
    await signInAsAdmin(page);
    await page.goto("/w/demo/workflows");
    await page.getByRole("link", { name: className, exact: true }).click();
    const url = page.getByLabel("Webhook URL");
    await url.fill("http://169.254.169.254/latest/meta-data/");
    await page.getByRole("button", { name: "Save notifications" }).click();
    await expect(page.getByText(/Refused: 169\.254\.169\.254 \(a link-local address\)/).first()).toBeVisible();
    await url.fill(hookUrl);
    await page.getByRole("button", { name: "Save notifications" }).click();
    await expect(page.getByTestId("webhook-secret")).toBeVisible();

    // The agent's task is dead-lettered: an escalation, and a notification the background job sends (500).
    const headers = { Authorization: `Bearer ${agent.key}` };
    const id = (await (await request.post("/api/v1/tasks", { headers, data: { namespace, input: {} } })).json())
      .id as string;
    for (const data of [
      { type: "started" },
      { type: "step_failed", error: { type: "io", message: "down", retryable: false } },
    ])
      expect((await request.post(`/api/v1/tasks/${id}/events`, { headers, data })).status()).toBe(200);

    await page.goto("/w/demo/escalations");
    // Followed by its address: a click right after the page loads can land before React hydrates the link.
    const escalationUrl = await page
      .getByRole("row", { name: new RegExp(id) })
      .getByRole("link", { name: /^esc_/ })
      .getAttribute("href");
    expect(escalationUrl).toMatch(/\/escalations\/esc_/);
    await page.goto(escalationUrl!);
    const notifications = page.getByRole("table", { name: "Notifications" });
    await expect(async () => {
      await page.reload();
      await expect(notifications).toContainText("HTTP 500", { timeout: 1_000 });
    }).toPass({ timeout: 30_000 });
    await expect(notifications).toContainText(hookUrl);

    // A viewer and an operator: that it failed, the scheme and host — no path, no status, no error text.
    for (const email of Object.values(people)) {
      const context = await browser.newContext();
      const other = await context.newPage();
      await signIn(other, email, `password-${suffix}-1`);
      await expect(other).toHaveURL(/\/w\/demo$/);
      await other.goto(escalationUrl!);
      const table = other.getByRole("table", { name: "Notifications" });
      await expect(table).toContainText(`http://127.0.0.1:${port}/…`);
      await expect(table).toContainText("delivery failed");
      await expectNowhere(other, [secretPath, "HTTP 500"]);
      // The audit trail (everyone reads it): the change of URL and the delivery attempts.
      await other.goto("/w/demo/audit?action=workflow_class.notifications_changed");
      await expect(other.getByRole("table", { name: "Audit events" })).toBeVisible();
      await expectNowhere(other, [secretPath]);
      await other.goto(`/w/demo/audit?action=escalation.notification_retry_scheduled`);
      await expect(other.getByText("delivery failed (details on the escalation, for admins)").first()).toBeVisible();
      await expectNowhere(other, [secretPath, "HTTP 500"]);
      await context.close();
    }
  } finally {
    await new Promise<void>((resolve) => receiver.close(() => resolve()));
  }
});

/** Not in the page's HTML at all — neither shown nor in the data sent along for client components. */
async function expectNowhere(page: Page, needles: string[]) {
  const html = await page.content();
  for (const needle of needles) expect(html, needle).not.toContain(needle);
}
