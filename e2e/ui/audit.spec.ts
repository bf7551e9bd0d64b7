import { randomBytes } from "node:crypto";
import { expect, test } from "@playwright/test";
import { openDialog, seedAgentWorkspace, signInAsAdmin } from "../helpers";

test("an admin searches the audit trail, opens an event's drawer, follows it to the key, and verifies the chain", async ({
  page,
  request,
}) => {
  const namespace = `audit-${randomBytes(3).toString("hex")}.state`;
  const correlation = `corr-${randomBytes(4).toString("hex")}`;
  const agent = await seedAgentWorkspace({ workspace: "demo", namespace, grants: [`${namespace}:readwrite`] });
  const url = `/api/v1/kv/${namespace}/${encodeURIComponent("orders/7")}`;
  const headers = { Authorization: `Bearer ${agent.key}`, "X-Correlation-Id": correlation };
  expect(
    (
      await request.put(url, { headers: { ...headers, "X-Reason": "first%20draft" }, data: { value: { total: 1 } } })
    ).status(),
  ).toBe(201);
  expect(
    (
      await request.put(url, {
        headers: { ...headers, "If-Match": '"1"', "X-Reason": "price%20fix%2C%20approved" },
        data: { value: { total: 2 } },
      })
    ).status(),
  ).toBe(200);

  await signInAsAdmin(page);
  // "Who changed this key and why": one click from the key's page.
  await page.goto(`/w/demo/namespaces`);
  await page.getByRole("link", { name: namespace }).click();
  await page.getByRole("link", { name: "orders/7" }).click();
  await expect(page.getByRole("heading", { name: "orders/7" })).toBeVisible();
  await page.getByRole("link", { name: "Who changed this key and why →" }).click();
  await expect(page.getByRole("heading", { name: "Audit trail" })).toBeVisible();
  await expect(page).toHaveURL(new RegExp(`namespace=${namespace.replace(".", "\\.")}&target=orders%2F7`));
  const table = page.getByRole("table", { name: "Audit events" });
  await expect(table.getByText("price fix, approved")).toBeVisible();
  await expect(table.getByText("first draft")).toBeVisible();

  // Filters live in the URL: narrow by free text in the reason.
  await page.getByLabel("Reason contains").fill("approved");
  await page.getByRole("button", { name: "Search" }).click();
  await expect(page).toHaveURL(/q=approved/);
  await expect(table.getByText("first draft")).toHaveCount(0);
  await expect(table.getByRole("row")).toHaveCount(2); // header + one event

  // The drawer: every field, the seal, and links to what the event touches.
  const drawer = await openDialog(page, table.getByRole("button", { name: /Details of event/ }));
  await expect(drawer.getByText("kv.put", { exact: true }).first()).toBeVisible();
  await expect(drawer.getByText(correlation, { exact: true })).toBeVisible();
  await expect(drawer.getByText(agent.identity, { exact: true })).toBeVisible();
  await expect(drawer.getByRole("link", { name: `Identity ${agent.identity} →` })).toBeVisible();
  await drawer.getByRole("link", { name: "Key orders/7 →" }).click();
  await expect(page.getByRole("heading", { name: "orders/7" })).toBeVisible();

  // Verify integrity reports ok with the event count.
  await page.getByRole("link", { name: "Audit trail" }).click();
  await expect(page.getByRole("heading", { name: "Audit trail" })).toBeVisible();
  await page.getByRole("button", { name: "Verify integrity" }).click();
  await expect(page.getByTestId("verify-result")).toContainText(/Integrity verified: \d+ events, chain intact/);
  // The public key to pin is on the page, the same one /api/health gives (issue #18).
  const health = (await (await page.request.get("/api/health")).json()) as { auditSigningKey: { publicKey: string } };
  await expect(page.getByTestId("audit-public-key")).toHaveText(health.auditSigningKey.publicKey);

  // The export is offered to an admin, with the current filters.
  await page.getByLabel("Correlation id").fill(correlation);
  await page.getByRole("button", { name: "Search" }).click();
  await expect(page).toHaveURL(new RegExp(`correlation=${correlation}`));
  const csvLink = page.getByRole("link", { name: "Export CSV" });
  const href = await csvLink.getAttribute("href");
  expect(href).toContain(`correlation=${correlation}`);
  const csv = await page.request.get(href!);
  expect(csv.status()).toBe(200);
  const text = await csv.text();
  expect(text).toContain('"price fix, approved"');
  expect(text.split("\r\n").filter(Boolean)).toHaveLength(3); // header + two writes
});
