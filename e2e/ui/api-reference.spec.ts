import { expect, test } from "@playwright/test";
import { signInAsAdmin } from "../helpers";

test("the API reference renders the OpenAPI document: endpoints by group, parameters, errors, schemas", async ({
  page,
}) => {
  await signInAsAdmin(page);
  await page.getByRole("navigation", { name: "Sections" }).getByRole("link", { name: "API reference" }).click();
  await expect(page).toHaveURL(/\/w\/demo\/api$/);
  await expect(page.getByRole("heading", { name: "API reference" })).toBeVisible();
  for (const group of ["Policy", "KV", "Tasks", "Operations"]) {
    await expect(page.getByRole("heading", { name: group, exact: true, level: 2 })).toBeVisible();
  }
  const put = page.locator("#op-putKv");
  await expect(put.getByRole("heading", { level: 3 })).toContainText("/api/v1/kv/{namespace}/{key}");
  await expect(put.getByRole("cell", { name: "Idempotency-Key", exact: true })).toBeVisible();
  await expect(put.getByText("version_conflict").first()).toBeVisible();
  await expect(
    page.getByRole("table", { name: "Error codes" }).getByRole("cell", { name: "budget_exhausted", exact: true }),
  ).toBeVisible();
  await expect(page.locator("#schema-Policy")).toContainText("retryPolicy");
  await expect(page.getByRole("link", { name: "/api/v1/openapi.json" })).toHaveAttribute(
    "href",
    "/api/v1/openapi.json",
  );
});
