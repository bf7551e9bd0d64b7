import { randomBytes } from "node:crypto";
import { expect, test } from "@playwright/test";
import { admin, seedAgentWorkspace, signIn } from "../helpers";

test("dead-lettered → the operator acknowledges and redrives with a note → the agent resumes from its checkpoint and commits", async ({
  page,
  request,
}) => {
  const suffix = randomBytes(3).toString("hex");
  const namespace = `esc-${suffix}.runs`;
  const agent = await seedAgentWorkspace({ workspace: "demo", namespace, grants: [`${namespace}:readwrite`] });
  const operator = { email: `oncall-${suffix}@example.test`, password: `oncall-password-${suffix}` };
  await admin(
    "user",
    "create",
    "--email",
    operator.email,
    "--password",
    operator.password,
    "--workspace",
    "demo",
    "--role",
    "operator",
  );

  // The agent: a checkpoint, then failures until the task is dead-lettered (3 attempts, non-retryable last).
  const headers = { Authorization: `Bearer ${agent.key}` };
  const id = (
    await (await request.post("/api/v1/tasks", { headers, data: { namespace, input: { order: suffix } } })).json()
  ).id as string;
  const send = async (data: unknown) => {
    const response = await request.post(`/api/v1/tasks/${id}/events`, { headers, data });
    expect(response.status(), JSON.stringify(data)).toBe(200);
    return response.json();
  };
  await send({ type: "started" });
  await send({ type: "step_completed", step: "charge-card", checkpoint: { charged: true } });
  const failed = await send({ type: "step_failed", error: { type: "io", message: "mailer down", retryable: false } });
  expect(failed.status).toBe("dead_lettered");

  // The operator, in the dashboard.
  await signIn(page, operator.email, operator.password);
  await expect(page).toHaveURL(/\/w\/demo$/);
  await page.getByRole("link", { name: /Escalations/ }).click();
  await expect(page.getByRole("heading", { name: "Escalations" })).toBeVisible();
  const row = page.getByRole("row", { name: new RegExp(id) });
  await expect(row).toContainText("dead letter");
  await row.getByRole("link", { name: /^esc_/ }).click();
  await expect(page.getByText("mailer down").first()).toBeVisible();
  await expect(page.getByTestId("task-checkpoint")).toContainText('"charged": true');

  const ack = page.getByRole("region", { name: "Acknowledge" });
  await ack.getByLabel("Note").fill("on it");
  await ack.getByRole("button", { name: "Acknowledge" }).click();
  await expect(page.getByTestId("escalation-status")).toHaveText("acknowledged");

  const redrive = page.getByRole("region", { name: "Redrive" });
  await redrive.getByRole("button", { name: "Redrive task" }).click();
  await expect(redrive.getByText(/Write a note/)).toBeVisible(); // a note is required
  await redrive.getByLabel("Note").fill("mailer is back; retry from the checkpoint");
  await redrive.getByRole("button", { name: "Redrive task" }).click();
  await expect(page.getByTestId("escalation-status")).toHaveText("resolved");

  // The agent picks it up again: due now, resumes from the checkpoint, commits.
  const resumed = await (await request.get(`/api/v1/tasks/${id}`, { headers })).json();
  expect(resumed).toMatchObject({
    status: "retry_scheduled",
    checkpoint: { step: "charge-card", value: { charged: true } },
  });
  const due = await (await request.get("/api/v1/tasks?due=true", { headers })).json();
  expect(due.items.map((t: { id: string }) => t.id)).toContain(id);
  expect((await send({ type: "started" })).attempt).toBe(2);
  expect((await send({ type: "committed", output: { mailed: true } })).status).toBe("committed");

  await page.reload();
  const events = page.getByTestId("timeline-event");
  await expect(events.filter({ hasText: "redriven" })).toContainText(`by ${operator.email} (user)`);
  await expect(events.last()).toContainText("committed");
  await expect(page.getByRole("list", { name: "Notes" })).toContainText("mailer is back");
});
