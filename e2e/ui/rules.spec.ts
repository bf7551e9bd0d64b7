import { mkdirSync } from "node:fs";
import path from "node:path";
import { expect, test, type Page } from "@playwright/test";
import { admin, newPerson, openDialog, printedLogin, seedAgentWorkspace, signIn, signInAsAdmin } from "../helpers";

/** Screenshots of the Rules page, to look at: test-results/screenshots/rules-<who>-<width>-<scheme>.png. */
const SHOTS = path.join(process.cwd(), "test-results", "screenshots");

async function screenshots(page: Page, who: string) {
  mkdirSync(SHOTS, { recursive: true });
  for (const width of [1440, 390]) {
    for (const colorScheme of ["light", "dark"] as const) {
      await page.setViewportSize({ width, height: 900 });
      await page.emulateMedia({ colorScheme });
      await expect(page.locator("html")).toHaveClass(new RegExp(colorScheme));
      await page.screenshot({ path: path.join(SHOTS, `rules-${who}-${width}-${colorScheme}.png`), fullPage: true });
    }
  }
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.emulateMedia({ colorScheme: "light" });
}

test("an admin edits a rule and sees, before saving, which of the week's decisions would change; a viewer only reads", async ({
  page,
  request,
  browser,
}) => {
  test.setTimeout(120_000);
  const agent = await seedAgentWorkspace(); // its own workspace: it starts with no rules and denies by default
  await admin("user", "create", "--email", printedLogin().email, "--workspace", agent.slug, "--role", "admin");
  const viewer = await newPerson("viewer", agent.slug);

  await signInAsAdmin(page);
  await page.goto(`/w/${agent.slug}/rules`);
  await expect(page.getByRole("heading", { name: "Rules", exact: true })).toBeVisible();
  await expect(page.getByText("No rules yet")).toBeVisible();
  await expect(page.getByTestId("default-effect")).toHaveText("deny");

  // A first rule, through the form: allow refunds.
  await expect(async () => {
    await page.getByRole("button", { name: "Add rule" }).click();
    await expect(page.getByRole("form", { name: "New rule" })).toBeVisible({ timeout: 2_000 });
  }).toPass({ timeout: 20_000 });
  const create = page.getByRole("form", { name: "New rule" });
  await create.getByLabel("Name", { exact: true }).fill("refunds");
  await create.getByLabel("Action pattern").fill("payments.*");
  await create.getByLabel("Approval timeout").fill("soon");
  await create.getByRole("button", { name: "Add rule" }).click();
  // The server's checks, shown on the fields: a duration that does not read, a missing reason.
  await expect(create.getByText(/a duration such as 30s, 15m, 1h or 2d/)).toBeVisible();
  await expect(create.getByText(/Say why/)).toBeVisible();
  await create.getByLabel("Approval timeout").fill("1h");
  await create.getByLabel("Reason", { exact: true }).fill("e2e: refunds are fine");
  await create.getByRole("button", { name: "Add rule" }).click();
  await expect(page.getByText(/Rule "refunds" added at position 1/)).toBeVisible();
  const row = page.getByTestId("rule-row").filter({ hasText: "refunds" });
  await expect(row).toContainText("payments.*");
  await expect(row).toContainText("any");

  // The agent asks, through the real API: three refunds allowed, one email denied by the default.
  const headers = { Authorization: `Bearer ${agent.key}` };
  for (const usd of [5, 50, 8]) {
    const answer = await request.post("/api/v1/actions", {
      headers,
      data: { action: "payments.refund", summary: `refund $${usd}`, estimate: { usd } },
    });
    expect(answer.status(), await answer.text()).toBe(201);
  }
  expect((await request.post("/api/v1/actions", { headers, data: { action: "email.send" } })).status()).toBe(403);

  // Edit: a $20 maximum. Before saving, the replay shows the $50 refund would have been denied.
  await page.getByRole("button", { name: "Edit refunds" }).click();
  const edit = page.getByRole("form", { name: "Edit rule" });
  await edit.getByLabel("Maximum estimate (USD)").fill("20");
  await expect(
    edit.getByText("A request without an estimate passes this rule's maximum", { exact: false }),
  ).toBeVisible();
  await edit.getByRole("button", { name: "Preview impact" }).click();
  await expect(edit.getByTestId("impact-summary")).toHaveText("1 of 4 decisions would change.");
  const changed = edit.getByTestId("impact-change");
  await expect(changed).toHaveCount(1);
  await expect(changed).toContainText("payments.refund");
  await expect(changed).toContainText("$50");
  await expect(changed).toContainText(/allowed\s*refunds/);
  await expect(changed).toContainText(/denied\s*refunds/);
  await expect(row).toContainText("any"); // nothing saved yet

  // The simulator tries the draft, and the saved rules, in the browser.
  const simulator = page.getByRole("region", { name: "Simulator" });
  await simulator.getByLabel("Action name").fill("payments.refund");
  await simulator.getByLabel("Estimate (USD)").fill("50");
  await expect(simulator.getByTestId("simulator-answer")).toContainText("Denied (403 action_denied) by rule refunds");
  await simulator.getByLabel("The saved rules").check();
  await expect(simulator.getByTestId("simulator-answer")).toContainText("Allowed (201) by rule refunds");
  await simulator.getByLabel("The draft (unsaved)").check();
  await screenshots(page, "admin-editing");

  await edit.getByLabel("Reason", { exact: true }).fill("e2e: cap refunds at $20");
  await edit.getByRole("button", { name: "Save rule" }).click();
  await expect(page.getByText(/Rule "refunds" saved/)).toBeVisible();
  await expect(row).toContainText("≤ $20");
  await expect(page.getByTestId("rule-warning")).toContainText("passes this rule's maximum");
  // And the agent API decides with it from the next request.
  const denied = await request.post("/api/v1/actions", {
    headers,
    data: { action: "payments.refund", estimate: { usd: 50 } },
  });
  expect(denied.status()).toBe(403);
  expect((await denied.json()).error.details.rule.name).toBe("refunds");
  await screenshots(page, "admin");

  // Deleting it, previewed in the confirmation: the three refunds allowed then would be denied by the default.
  const dialog = await openDialog(page, page.getByRole("button", { name: "Delete refunds" }));
  await dialog.getByRole("button", { name: "Preview impact" }).click();
  await expect(dialog.getByTestId("impact-summary")).toHaveText("3 of 5 decisions would change.");
  await expect(dialog.getByRole("list", { name: "Changes by verdict" })).toContainText(/allowed\s*→\s*denied\s*× 3/);
  await page.setViewportSize({ width: 390, height: 900 });
  await page.screenshot({ path: path.join(SHOTS, "rules-admin-delete-dialog-390-light.png") });
  await page.setViewportSize({ width: 1280, height: 800 });
  await dialog.getByRole("button", { name: "Cancel" }).click();
  await expect(row).toBeVisible(); // not deleted

  // A viewer: the same rules, no way to change them.
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const viewerPage = await context.newPage();
  await signIn(viewerPage, viewer.email, viewer.password);
  await expect(viewerPage).toHaveURL(new RegExp(`/w/${agent.slug}$`));
  await viewerPage.goto(`/w/${agent.slug}/rules`);
  await expect(viewerPage.getByTestId("rule-row").filter({ hasText: "refunds" })).toContainText("≤ $20");
  await expect(viewerPage.getByRole("button", { name: "Add rule" })).toHaveCount(0);
  await expect(viewerPage.getByRole("button", { name: /Edit|Delete|Move|Shadow/ })).toHaveCount(0);
  await expect(viewerPage.getByLabel("Default action effect")).toHaveCount(0);
  await expect(viewerPage.getByRole("button", { name: "Preview impact" })).toHaveCount(0);
  const viewerSimulator = viewerPage.getByRole("region", { name: "Simulator" });
  await viewerSimulator.getByLabel("Action name").fill("payments.refund");
  await viewerSimulator.getByLabel("Estimate (USD)").fill("5");
  await expect(viewerSimulator.getByTestId("simulator-answer")).toContainText("Allowed (201) by rule refunds");
  await screenshots(viewerPage, "viewer");
  await context.close();
});
