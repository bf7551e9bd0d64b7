import { readFileSync } from "node:fs";
import { expect, test, type Page } from "@playwright/test";
import { admin, newPerson, printedLogin, seedAgentWorkspace, signIn, signInAsAdmin } from "../helpers";

/**
 * Spend budgets on the Budgets page (issue #21): an admin sets the workspace's limits (a 7th decimal
 * is refused with its reason), an agent's action reserves and then overruns over the real HTTP API,
 * and the gauge, the banner, the Actions list and the CSV export show it; a viewer sees the figures,
 * not the forms. Screenshots at 1440 and 390 px, light and dark, go to the test's output directory.
 */

async function screenshots(page: Page, url: string, name: string) {
  for (const width of [1440, 390]) {
    for (const colorScheme of ["light", "dark"] as const) {
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

test("an admin sets spend limits and sees the gauge, the banner and the overrun; the CSV downloads; a viewer reads only", async ({
  page,
  request,
}) => {
  test.setTimeout(120_000);
  const agent = await seedAgentWorkspace(); // its own workspace: the demo's budgets are untouched
  await admin("user", "create", "--email", printedLogin().email, "--workspace", agent.slug, "--role", "admin");
  await admin(
    "rule",
    "create",
    "--workspace",
    agent.slug,
    "--name",
    "model calls",
    "--action",
    "llm.*",
    "--effect",
    "allow",
  );
  await signInAsAdmin(page);
  await page.goto(`/w/${agent.slug}/budgets`);
  const daily = page.getByTestId("spend-gauge-daily-usd");
  await expect(daily.getByTestId("spend-gauge-daily-usd-used")).toHaveText("$0.00");
  await expect(daily).toContainText("unlimited");
  // The form submits through React: typing before it hydrated would be lost to a plain GET submit.
  await page.waitForLoadState("networkidle");

  await page.getByLabel("Daily USD limit", { exact: true }).fill("10.1234567");
  await page.getByLabel("Monthly USD limit").fill("100");
  await page.getByLabel("Daily token limit").fill("50000");
  await page.locator("#spend-reason").fill("e2e spend limits");
  await page.getByRole("button", { name: "Save spend limits" }).click();
  await expect(page.getByText("An amount in USD has at most 6 decimals.")).toBeVisible();
  await page.getByLabel("Daily USD limit", { exact: true }).fill("10");
  await page.getByRole("button", { name: "Save spend limits" }).click();
  await expect(page.getByText("Spend limits saved.")).toBeVisible();
  await page.reload();
  await expect(daily).toContainText("/ $10.00");
  await expect(daily).toContainText("degrades at 80% ($8.00)");
  await expect(page.getByTestId("spend-banner")).toHaveCount(0);

  // The agent asks for a model call estimated at $8.50: reserved, and the day's budget is degraded.
  const headers = (key: string) => ({
    Authorization: `Bearer ${agent.key}`,
    "Idempotency-Key": `${key}-${Date.now()}`,
  });
  const asked = await request.post("/api/v1/actions", {
    headers: headers("spend-e2e"),
    data: { action: "llm.chat", summary: "Summarise the month", estimate: { usd: 8.5, tokens: 1000 } },
  });
  expect(asked.status(), await asked.text()).toBe(201);
  const { id } = (await asked.json()) as { id: string };
  await page.reload();
  await expect(daily.getByTestId("spend-gauge-daily-usd-used")).toHaveText("$8.50");
  await expect(daily).toContainText("$0.00 spent · $8.50 reserved");
  await expect(page.getByRole("meter", { name: /^Today .*USD$/ })).toHaveAttribute("aria-valuenow", "8500000");
  await expect(page.getByTestId("spend-banner")).toContainText("The workspace's daily USD budget is at 80% or more");

  // It cost $10.50: charged in full, an overrun, the budget spent.
  const completed = await request.post(`/api/v1/actions/${id}/complete`, {
    headers: headers("spend-e2e-complete"),
    data: { outcome: "succeeded", actual: { usd: 10.5, tokens: 1400 } },
  });
  expect(completed.status(), await completed.text()).toBe(200);
  await page.reload();
  await expect(daily.getByTestId("spend-gauge-daily-usd-used")).toHaveText("$10.50");
  await expect(page.getByTestId("spend-banner")).toContainText(
    "The workspace's daily USD budget is spent: new reservations are refused",
  );
  await expect(page.getByRole("table", { name: "Top spenders by action" })).toContainText("llm.chat");

  const [download] = await Promise.all([
    page.waitForEvent("download"),
    page.getByRole("link", { name: "Export CSV (30 days)" }).click(),
  ]);
  expect(download.suggestedFilename()).toMatch(new RegExp(`^spend-${agent.slug}-\\d{8}-\\d{6}\\.csv$`));
  const csv = readFileSync((await download.path())!, "utf8").split("\r\n");
  expect(csv[0]).toBe("day,class,action,actions,spent_usd,reserved_usd,spent_tokens,overruns");
  expect(csv[1]).toMatch(/^\d{4}-\d{2}-\d{2},invoices,llm\.chat,1,10\.5,0,1400,1$/);

  await page.goto(`/w/${agent.slug}/actions`);
  const row = page.getByRole("row", { name: /llm\.chat/ });
  await expect(row).toContainText("overrun");
  await expect(row.getByTestId("action-cost")).toContainText("actual $10.50");
  // Every page says so, not only the Budgets page.
  await expect(page.getByTestId("spend-guardrail-banner")).toContainText(
    "The daily USD budget is spent: new action reservations are refused.",
  );

  await screenshots(page, `/w/${agent.slug}/budgets`, "spend-admin");
  await screenshots(page, "/w/demo/budgets", "spend-demo");

  // A viewer sees the figures, not the forms (and the server refuses them anyway: the matrix test).
  const viewer = await newPerson("viewer", agent.slug);
  await page.context().clearCookies();
  await signIn(page, viewer.email, viewer.password);
  await expect(page).toHaveURL(/\/w\//);
  await page.goto(`/w/${agent.slug}/budgets`);
  await expect(daily.getByTestId("spend-gauge-daily-usd-used")).toHaveText("$10.50");
  await expect(page.getByRole("button", { name: "Save spend limits" })).toHaveCount(0);
  await expect(page.getByLabel("Daily USD limit", { exact: true })).toHaveCount(0);
  await expect(page.getByRole("table", { name: "Daily USD limits by class" })).toContainText("unlimited");
});
