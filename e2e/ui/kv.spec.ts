import { randomBytes } from "node:crypto";
import { expect, test } from "@playwright/test";
import { openDialog, seedAgentWorkspace, signInAsAdmin } from "../helpers";

test("a key written through the API shows in the browser with its value, version and last writer; an admin deletes it with a reason", async ({
  page,
  request,
}) => {
  const namespace = `ui-${randomBytes(3).toString("hex")}.state`;
  const agent = await seedAgentWorkspace({ workspace: "demo", namespace, grants: [`${namespace}:readwrite`] });
  const auth = { Authorization: `Bearer ${agent.key}`, "X-Reason": "first%20draft" };
  const url = `/api/v1/kv/${namespace}/${encodeURIComponent("orders/1001")}`;
  await request.put(url, { headers: auth, data: { value: { total: 42, items: ["a", "b"] } } });
  await request.put(url, {
    headers: { ...auth, "If-Match": '"1"', "X-Reason": "price%20fix" },
    data: { value: { total: 40, items: ["a", "b"] } },
  });

  await signInAsAdmin(page);
  await page.getByRole("link", { name: "Namespaces" }).click();
  await page.getByRole("link", { name: namespace }).click();
  await page.getByLabel("Key prefix").fill("orders/");
  await page.getByRole("button", { name: "Search" }).click();
  await expect(page).toHaveURL(/prefix=orders%2F/);
  await page.getByRole("link", { name: "orders/1001" }).click();

  await expect(page.getByTestId("entry-value")).toContainText('"total": 40');
  await expect(page.getByTestId("entry-version")).toHaveText("2");
  await expect(page.getByTestId("entry-writer")).toContainText(agent.identity);
  const history = page.getByRole("table", { name: "History of this key" });
  await expect(history.getByText("price fix")).toBeVisible();
  await expect(history.getByText("1 → 2")).toBeVisible();

  const dialog = await openDialog(page, page.getByRole("button", { name: "Delete key" }));
  await dialog.getByLabel("Reason").fill("cleaning up a test order");
  await dialog.getByRole("button", { name: "Delete key" }).click();
  await expect(page).toHaveURL(new RegExp(`/namespaces/ns_[a-z0-9]+$`));
  expect((await request.get(url, { headers: auth })).status()).toBe(404);
});
