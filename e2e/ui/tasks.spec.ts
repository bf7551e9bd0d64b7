import { randomBytes } from "node:crypto";
import { expect, test } from "@playwright/test";
import { seedAgentWorkspace, signInAsAdmin } from "../helpers";

test("a dead-lettered task shows its timeline, last error, checkpoint and escalation", async ({ page, request }) => {
  const namespace = `tasks-${randomBytes(3).toString("hex")}.runs`;
  const agent = seedAgentWorkspace({ workspace: "demo", namespace, grants: [`${namespace}:readwrite`] });
  const headers = { Authorization: `Bearer ${agent.key}` };
  const id = (
    await (await request.post("/api/v1/tasks", { headers, data: { namespace, input: { order: 1001 } } })).json()
  ).id as string;
  const send = (data: unknown) => request.post(`/api/v1/tasks/${id}/events`, { headers, data });
  await send({ type: "started" });
  await send({ type: "step_completed", step: "reserve-stock", checkpoint: { reserved: ["sku-1"] } });
  await send({
    type: "step_failed",
    error: { type: "validation", message: "address is incomplete", retryable: false },
  });

  await signInAsAdmin(page);
  await page.getByRole("link", { name: "Tasks" }).click();
  await page.getByLabel("Status").selectOption("dead_lettered");
  await page.getByRole("button", { name: "Filter" }).click();
  await page.getByRole("link", { name: id }).click();
  await expect(page.getByRole("heading", { name: id })).toBeVisible();
  await expect(page.getByText("address is incomplete").first()).toBeVisible();
  await expect(page.getByText(/Escalation esc_\w+ \(dead letter, open\)/)).toBeVisible();
  await expect(page.getByTestId("task-checkpoint")).toContainText("sku-1");
  await expect(page.getByTestId("timeline-event")).toHaveCount(4);
  await expect(page.getByTestId("timeline-event").last()).toContainText("step_failed");
});
