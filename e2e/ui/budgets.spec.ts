import { expect, test } from "@playwright/test";
import { admin, printedLogin, seedAgentWorkspace, signInAsAdmin } from "../helpers";

test("an admin sets a limit and a stop message; traffic hits it; the banner and the gauge show it", async ({
  page,
  request,
}) => {
  const agent = await seedAgentWorkspace(); // its own workspace, so the demo's budget is untouched
  await admin("user", "create", "--email", printedLogin().email, "--workspace", agent.slug, "--role", "admin");
  await signInAsAdmin(page);
  await page.goto(`/w/${agent.slug}/budgets`);
  await page.getByLabel("Daily request limit").fill("5");
  await page.getByLabel("Degrade at (%)").fill("60");
  await page.getByLabel("Stop message").fill("Out of budget for today — ping #agents-oncall.");
  await page.getByLabel("Reason").first().fill("e2e budget test");
  await page.getByRole("button", { name: "Save budget" }).click();
  await expect(page.getByText("Budget saved.")).toBeVisible();

  const headers = { Authorization: `Bearer ${agent.key}` };
  const statuses: number[] = [];
  for (let i = 0; i < 7; i++)
    statuses.push((await request.put(`/api/v1/kv/billing.runs/k${i}`, { headers, data: { value: i } })).status());
  expect(statuses).toEqual([201, 201, 201, 201, 201, 429, 429]);
  const refused = await request.put("/api/v1/kv/billing.runs/late", { headers, data: { value: 0 } });
  expect((await refused.json()).error.message).toBe("Out of budget for today — ping #agents-oncall.");

  await page.reload();
  await expect(page.getByTestId("budget-mode")).toHaveText("stopped");
  await expect(page.getByTestId("budget-used")).toHaveText("5 / 5");
  await expect(page.getByRole("meter", { name: "Requests used today" })).toHaveAttribute("aria-valuenow", "5");
  await expect(page.getByTestId("guardrail-banner")).toContainText(
    "Stopped: agent calls are refused (daily limit reached)",
  );
  await page.goto(`/w/${agent.slug}`);
  await expect(page.getByTestId("guardrail-banner")).toBeVisible();
});
