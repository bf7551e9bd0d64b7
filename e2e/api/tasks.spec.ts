import { expect, test } from "./fixtures";
import { seedAgentWorkspace } from "../helpers";

test("an agent runs a task over HTTP: start, checkpoint, fail, retry, commit — with a gapless timeline", async ({
  request,
}) => {
  const agent = await seedAgentWorkspace();
  const headers = { Authorization: `Bearer ${agent.key}` };
  const created = await request.post("/api/v1/tasks", {
    headers,
    data: { namespace: "billing.runs", input: { invoice: 7 } },
  });
  expect(created.status()).toBe(201);
  const id = (await created.json()).id as string;
  const send = (data: unknown, extra: Record<string, string> = {}) =>
    request.post(`/api/v1/tasks/${id}/events`, { headers: { ...headers, ...extra }, data });

  expect((await (await send({ type: "started" }, { "Idempotency-Key": `${id}-start-1` })).json()).status).toBe(
    "running",
  );
  const step = await (await send({ type: "step_completed", step: "fetch", checkpoint: { page: 3 } })).json();
  expect(step.checkpoint).toMatchObject({ step: "fetch", key: `checkpoint/${id}`, value: { page: 3 } });
  // The checkpoint is a KV entry whose key contains '/'.
  const kv = await request.get(`/api/v1/kv/billing.runs/${encodeURIComponent(`checkpoint/${id}`)}`, { headers });
  expect((await kv.json()).value).toEqual({ page: 3 });

  const failed = await (await send({ type: "step_failed", error: { type: "io", message: "bank API 503" } })).json();
  expect(failed.status).toBe("retry_scheduled");
  expect((await send({ type: "started" })).status()).toBe(409); // not due yet
  await new Promise((r) => setTimeout(r, Math.max(0, new Date(failed.retryAt).getTime() - Date.now()) + 100));
  expect((await (await send({ type: "started" })).json()).attempt).toBe(2);
  expect((await (await send({ type: "committed", output: { paid: true } })).json()).status).toBe("committed");
  expect((await send({ type: "heartbeat" })).status()).toBe(409);

  const task = await (await request.get(`/api/v1/tasks/${id}`, { headers })).json();
  expect(task.events.map((e: { seq: number }) => e.seq)).toEqual([1, 2, 3, 4, 5, 6]);
  expect(task.events.map((e: { type: string }) => e.type)).toEqual([
    "accepted",
    "started",
    "step_completed",
    "step_failed",
    "started",
    "committed",
  ]);
  expect(task.checkpoint.value).toEqual({ page: 3 });
});
