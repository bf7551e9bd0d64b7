import { randomBytes } from "node:crypto";
import { expect, test } from "@playwright/test";
import { seedAgentWorkspace, signInAsAdmin } from "../helpers";

test("a dead-lettered task shows its timeline, last error, checkpoint and escalation", async ({ page, request }) => {
  const namespace = `tasks-${randomBytes(3).toString("hex")}.runs`;
  const agent = await seedAgentWorkspace({ workspace: "demo", namespace, grants: [`${namespace}:readwrite`] });
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

test("the timeline shows a task driven through the API in order: accept, start, two steps with a checkpoint, a failure, retry, commit", async ({
  page,
  request,
}) => {
  const namespace = `flow-${randomBytes(3).toString("hex")}.runs`;
  const agent = await seedAgentWorkspace({ workspace: "demo", namespace, grants: [`${namespace}:readwrite`] });
  const headers = { Authorization: `Bearer ${agent.key}` };
  const id = (
    await (
      await request.post("/api/v1/tasks", { headers, data: { namespace, correlationId: `flow-${namespace}` } })
    ).json()
  ).id as string;
  const send = async (data: unknown) =>
    expect((await request.post(`/api/v1/tasks/${id}/events`, { headers, data })).status()).toBe(200);
  await send({ type: "started" });
  await send({ type: "step_completed", step: "fetch", checkpoint: { page: 1 } });
  await send({ type: "step_completed", step: "transform", checkpoint: { page: 1, rows: 20 } });
  await send({ type: "step_failed", error: { type: "io", message: "sink unavailable" } });
  await new Promise((r) => setTimeout(r, 1100)); // the class's first retry waits 1 s
  await send({ type: "started" });
  await send({ type: "committed", output: { rows: 20 } });

  await signInAsAdmin(page);
  await page.goto(`/w/demo/tasks/${id}`);
  const events = page.getByTestId("timeline-event");
  await expect(events).toHaveCount(7);
  const expected = ["accepted", "started", "step_completed", "step_completed", "step_failed", "started", "committed"];
  for (const [i, type] of expected.entries()) await expect(events.nth(i)).toContainText(`#${i + 1}${type}`);
  await expect(events.nth(4)).toHaveAttribute("data-failure", "true");
  await expect(events.nth(3)).toContainText("checkpoint saved");
  await expect(page.getByRole("region", { name: "Attempt 2" })).toContainText("committed");
  await expect(page.getByTestId("task-checkpoint")).toContainText('"rows": 20');
});
