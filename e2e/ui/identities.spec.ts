import { randomBytes } from "node:crypto";
import { expect, test } from "@playwright/test";
import { openDialog, signInAsAdmin } from "../helpers";

test("an admin sets up a namespace, a class, an identity with a grant and a key in the browser; the key reads its policy", async ({
  page,
  request,
}) => {
  const suffix = randomBytes(3).toString("hex");
  const namespace = `orders-${suffix}.inbox`;
  const workflowClass = `orders-${suffix}`;
  const identity = `order-bot-${suffix}`;
  await signInAsAdmin(page);

  await page.getByRole("link", { name: "Namespaces" }).click();
  await expect(page.getByRole("heading", { name: "Namespaces" })).toBeVisible();
  await page.getByLabel("Name", { exact: true }).fill(namespace);
  await page.getByLabel("Default TTL (seconds)").fill("3600");
  await page.getByLabel("Maximum TTL (seconds)").fill("86400");
  await page.getByRole("button", { name: "Create namespace" }).click();
  await expect(page.getByRole("table", { name: "Namespaces" }).getByText(namespace)).toBeVisible();

  await page.getByRole("link", { name: "Workflow classes" }).click();
  await expect(page.getByRole("heading", { name: "Workflow classes" })).toBeVisible();
  await page.getByLabel("Name", { exact: true }).fill(workflowClass);
  await page.getByLabel("Backoff coefficient").fill("0.5");
  await page.getByRole("button", { name: "Create workflow class" }).click();
  await expect(page.getByText("Backoff coefficient must be at least 1.")).toBeVisible();
  await page.getByLabel("Backoff coefficient").fill("2");
  await page.getByRole("button", { name: "Create workflow class" }).click();
  await expect(page.getByRole("table", { name: "Workflow classes" }).getByText(workflowClass)).toBeVisible();

  await page.getByRole("link", { name: "Identities" }).click();
  await expect(page.getByRole("heading", { name: "Machine identities" })).toBeVisible();
  await page.getByLabel("Name", { exact: true }).fill(identity);
  await page.getByLabel("Workflow class").selectOption(workflowClass);
  const grants = page.getByLabel("Grants");
  await grants.fill(`orders-${suffix}*:readwrite`);
  await expect(page.getByText(/Line 1: A wildcard may only end the pattern/)).toBeVisible(); // validated as you type
  await grants.fill(`orders-${suffix}.*:readwrite`);
  await expect(page.getByText(/Line 1:/)).toHaveCount(0);
  await page.getByRole("button", { name: "Create identity" }).click();
  await page.getByRole("link", { name: "Open the identity to issue a key →" }).click();
  await expect(page.getByRole("heading", { name: identity })).toBeVisible();

  // The simulator answers with the same rule as the API.
  await page.getByLabel("Namespace", { exact: true }).fill(namespace);
  await page.getByLabel("Operation").selectOption("write");
  await expect(page.getByTestId("simulator-answer")).toContainText(`allowed by grant orders-${suffix}.*:readwrite`);
  await page.getByLabel("Namespace", { exact: true }).fill("billing.runs");
  await expect(page.getByTestId("simulator-answer")).toContainText("No grant matches");

  await page.getByLabel("Lifetime").selectOption("3600");
  await page.getByRole("button", { name: "Issue key" }).click();
  const key = (await page.getByTestId("issued-key").textContent())!.trim();
  expect(key).toMatch(/^bkv_/);

  const policy = await request.get("/api/v1/policy", { headers: { Authorization: `Bearer ${key}` } });
  expect(policy.status()).toBe(200);
  expect(await policy.json()).toMatchObject({
    identity: { name: identity, workflowClass },
    workspace: { slug: "demo" },
    grants: [{ namespace: `orders-${suffix}.*`, access: "readwrite" }],
  });

  // Revoke it from the dashboard, with a reason: the next call fails.
  await page.reload();
  const prefix = key.slice(0, 12);
  const dialog = await openDialog(page, page.getByRole("button", { name: `Revoke ${prefix}` }));
  await dialog.getByLabel("Reason").fill("e2e: done with it");
  await dialog.getByRole("button", { name: "Revoke key" }).click();
  await expect(dialog).toBeHidden();
  await expect(page.getByText("e2e: done with it")).toBeVisible();
  expect((await request.get("/api/v1/policy", { headers: { Authorization: `Bearer ${key}` } })).status()).toBe(401);
});
