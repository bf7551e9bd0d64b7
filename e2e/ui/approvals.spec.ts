import { expect, test, type APIRequestContext, type Page } from "@playwright/test";
import { admin, newPerson, seedAgentWorkspace, signIn } from "../helpers";

/**
 * Actions (issue #20), the on-call side: an operator approves a pending action with edited
 * arguments in the dashboard and the agent — over the real HTTP API, long-polling — receives them;
 * a viewer sees the same queue read-only. Screenshots of the queue and the action page at 1440 and
 * 390 px, light and dark, go to the test's output directory.
 */

/** A workspace whose payments.* actions need one approval, its agent's key, an operator and a viewer. */
async function seedApprovals() {
  const agent = await seedAgentWorkspace();
  await admin("rule", "create", "--workspace", agent.slug, "--name", "refunds need a human", "--action", "payments.*", "--effect", "require_approval");
  return { agent, operator: await newPerson("operator", agent.slug), viewer: await newPerson("viewer", agent.slug) };
}

async function askForRefund(request: APIRequestContext, key: string, order: number) {
  const response = await request.post("/api/v1/actions", {
    headers: { Authorization: `Bearer ${key}`, "Idempotency-Key": `refund-${order}-${Date.now()}` },
    data: {
      action: "payments.refund",
      summary: `Refund €40 for order ${order}`,
      resource: `order/${order}`,
      arguments: { order, amount: 40, currency: "EUR", note: "customer asked twice" },
      estimate: { usd: 43.2, tokens: 1200 },
    },
  });
  expect(response.status(), await response.text()).toBe(202);
  const body = (await response.json()) as { id: string; status: string };
  expect(body.status).toBe("pending_approval");
  return body.id;
}

async function screenshots(
  page: Page,
  url: string,
  name: string,
  widths: number[] = [1440, 390],
  schemes: ("light" | "dark")[] = ["light", "dark"],
) {
  for (const width of widths) {
    for (const colorScheme of schemes) {
      await page.setViewportSize({ width, height: 900 });
      await page.emulateMedia({ colorScheme });
      await page.goto(url);
      await expect(page.locator("html")).toHaveClass(new RegExp(colorScheme));
      // Nothing wider than the screen: a narrow page scrolls down, not sideways (tables scroll inside).
      if (width === 390)
        expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
      await page.screenshot({ path: test.info().outputPath(`${name}-${width}-${colorScheme}.png`), fullPage: true });
    }
  }
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.emulateMedia({ colorScheme: "light" });
}

test("an operator approves a pending action with edited arguments; the waiting agent receives them", async ({
  page,
  request,
}) => {
  // Seeding runs the CLI a few times and the screenshots are full pages: slow on a shared machine.
  test.setTimeout(240_000);
  const { agent, operator } = await seedApprovals();
  const id = await askForRefund(request, agent.key, 123);
  await askForRefund(request, agent.key, 124); // stays pending: the queue's screenshots show it

  await signIn(page, operator.email, operator.password);
  await expect(page).toHaveURL(new RegExp(`/w/${agent.slug}$`));
  const nav = page.getByRole("navigation", { name: "Sections" }).first();
  await expect(nav.getByRole("link", { name: /Approvals/ })).toContainText("2");
  await nav.getByRole("link", { name: /Approvals/ }).click();
  await expect(page.getByRole("heading", { name: "Approvals" })).toBeVisible();

  const card = page.getByTestId("pending-approval").filter({ hasText: id });
  await expect(card).toContainText("Refund €40 for order 123");
  await expect(card).toContainText("order/123");
  await expect(card).toContainText("invoice-bot");
  await expect(card).toContainText("$43.20 · 1,200 tokens");
  await expect(card).toContainText("refunds need a human");
  await expect(card).toContainText("0 of 1 approval");
  await expect(card).toContainText(/\d+ min left/);
  await expect(card).toContainText('"currency": "EUR"');

  const approve = card.getByRole("region", { name: `Approve ${id}` });
  await approve.getByText("Edit the arguments (optional)").click();
  const args = approve.getByLabel("Arguments (JSON)");
  // Bad JSON is a form error, not a crash; nothing is decided.
  await args.fill('{"order": 123, "amount": 20,');
  await approve.getByLabel("Reason").fill("half now, the rest after the return arrives");
  await approve.getByRole("button", { name: "Approve" }).click();
  await expect(approve.getByText(/^Not valid JSON/)).toBeVisible();

  await args.fill(JSON.stringify({ order: 123, amount: 20, currency: "EUR", note: "customer asked twice" }, null, 2));
  // The agent is already waiting (long-poll) when the approval is given.
  const waited = request.get(`/api/v1/actions/${id}?wait=30`, { headers: { Authorization: `Bearer ${agent.key}` } });
  await approve.getByRole("button", { name: "Approve" }).click();
  await expect(page.getByText(`${id}: Approved with your edited arguments`)).toBeVisible();
  const answer = await waited;
  expect(answer.status()).toBe(200);
  expect(await answer.json()).toMatchObject({
    id,
    status: "allowed",
    arguments: { order: 123, amount: 40 },
    approvedArguments: { order: 123, amount: 20, currency: "EUR", note: "customer asked twice" },
    approvals: [{ decision: "approve", reason: "half now, the rest after the return arrives", by: { type: "user" } }],
  });
  await expect(page.getByTestId("pending-approval").filter({ hasText: id })).toHaveCount(0);

  // The action's page: the edit as a diff, the approval, its audit events.
  await page.goto(`/w/${agent.slug}/actions/${id}`);
  await expect(page.getByTestId("action-status")).toHaveText("allowed");
  const diff = page.getByTestId("arguments-diff");
  await expect(diff).toContainText('"amount": 40');
  await expect(diff).toContainText('"amount": 20');
  await expect(page.getByRole("table", { name: "Approvals" })).toContainText("member, in the dashboard");
  await expect(page.getByRole("table", { name: "Audit events of this action" })).toContainText("action.approved");

  await screenshots(page, `/w/${agent.slug}/approvals`, "approvals-queue");
  await screenshots(page, `/w/${agent.slug}/actions/${id}`, "action-detail");
  await screenshots(page, `/w/${agent.slug}/actions`, "actions-list", [1440, 390], ["dark"]);
});

test("a viewer sees the approvals queue read-only: no form, no button", async ({ page, request }) => {
  test.setTimeout(180_000);
  const { agent, viewer } = await seedApprovals();
  const id = await askForRefund(request, agent.key, 321);
  await signIn(page, viewer.email, viewer.password);
  await expect(page).toHaveURL(new RegExp(`/w/${agent.slug}$`));
  await page.goto(`/w/${agent.slug}/approvals`);
  const card = page.getByTestId("pending-approval").filter({ hasText: id });
  await expect(card).toContainText("Refund €40 for order 321");
  await expect(card).toContainText('"amount": 40');
  await expect(page.getByText("Read-only: operators and admins approve or reject actions.")).toBeVisible();
  await expect(page.getByRole("button", { name: /Approve|Reject|Freeze|Disable/ })).toHaveCount(0);
  await expect(page.getByRole("checkbox")).toHaveCount(0);
  await expect(page.locator("textarea")).toHaveCount(0);

  await card.getByRole("link", { name: "payments.refund" }).click();
  await expect(page.getByTestId("action-status")).toHaveText("pending approval");
  await expect(page.getByRole("button", { name: /Approve|Reject|Freeze|Disable/ })).toHaveCount(0);
  await expect(page.locator("textarea")).toHaveCount(0);
  await screenshots(page, `/w/${agent.slug}/approvals`, "approvals-queue-viewer", [390], ["light"]);
});
