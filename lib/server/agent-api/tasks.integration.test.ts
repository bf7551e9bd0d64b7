import { describe, expect, it } from "vitest";
import { GET as getTaskRoute } from "@/app/api/v1/tasks/[id]/route";
import { POST as eventRoute } from "@/app/api/v1/tasks/[id]/events/route";
import { GET as listRoute, POST as createRoute } from "@/app/api/v1/tasks/route";
import { agentRequest, seedAgent } from "@/tests/agent-fixtures";
import { auditEvents, testActor } from "@/tests/fixtures";
import { issueCredential } from "../credentials/issue-credential";
import { createIdentity } from "../identities/create-identity";
import { getDb } from "../db";
import { failSilentTasks } from "../jobs/heartbeat-timeouts";
import { createWorkflowClass } from "../workflow-classes/create-workflow-class";

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

async function call(
  route: (r: Request, c: { params: Promise<Record<string, string>> }) => Promise<Response>,
  method: string,
  path: string,
  key: string,
  body?: unknown,
  headers: Record<string, string> = {},
  params: Record<string, string> = {},
) {
  const response = await route(
    agentRequest(path, key, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) }),
    { params: Promise.resolve(params) },
  );
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: (text ? JSON.parse(text) : null) as Json };
}
const create = (key: string, body: unknown, headers?: Record<string, string>) =>
  call(createRoute, "POST", "/api/v1/tasks", key, body, headers);
const event = (key: string, id: string, body: unknown, headers?: Record<string, string>) =>
  call(eventRoute, "POST", `/api/v1/tasks/${id}/events`, key, body, headers, { id });
const getTask = (key: string, id: string) =>
  call(getTaskRoute, "GET", `/api/v1/tasks/${id}`, key, undefined, {}, { id });

describe("tasks — happy path", () => {
  it("accepted → running → step_completed (checkpoint in KV) → committed, with gapless events", async () => {
    const agent = await seedAgent();
    const created = await create(agent.key, {
      namespace: "billing.runs",
      input: { invoice: 42 },
      correlationId: "run-42",
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      status: "accepted",
      attempt: 0,
      workflowClass: "invoices",
      namespace: "billing.runs",
      correlationId: "run-42",
      input: { invoice: 42 },
    });
    const id = created.body.id as string;
    expect(id).toMatch(/^task_/);

    expect((await event(agent.key, id, { type: "started" })).body).toMatchObject({ status: "running", attempt: 1 });
    const step = await event(agent.key, id, { type: "step_completed", step: "fetch", checkpoint: { fetched: 3 } });
    expect(step.body.checkpoint).toEqual({ step: "fetch", key: `checkpoint/${id}`, value: { fetched: 3 }, version: 1 });
    await event(agent.key, id, { type: "heartbeat" });
    const committed = await event(agent.key, id, { type: "committed", output: { paid: true } });
    expect(committed.body).toMatchObject({ status: "committed", output: { paid: true } });

    const full = await getTask(agent.key, id);
    expect(full.body.events.map((e: Json) => [e.seq, e.type, e.from, e.to])).toEqual([
      [1, "accepted", null, "accepted"],
      [2, "started", "accepted", "running"],
      [3, "step_completed", "running", "running"],
      [4, "committed", "running", "committed"],
    ]);
    expect(full.body.events[1].actor).toEqual({ type: "identity", id: agent.identity.id, name: "invoice-bot" });
    expect(full.body.checkpoint.value).toEqual({ fetched: 3 });
    // The checkpoint is an ordinary KV entry in the task's namespace.
    const entry = await getDb().kvEntry.findFirst({ where: { key: `checkpoint/${id}` } });
    expect(entry?.value).toEqual({ fetched: 3 });
    // Every transition is audited in its transaction.
    const actions = (await auditEvents({ workspaceId: agent.workspace.id, target: id })).map((e) => e.action);
    expect(actions).toEqual(["task.created", "task.started", "task.step_completed", "task.committed"]);
  });

  it("lists the class's tasks newest first, with due retries", async () => {
    const agent = await seedAgent();
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await create(agent.key, { namespace: "billing.runs" })).body.id);
    const page1 = await call(listRoute, "GET", "/api/v1/tasks?limit=2", agent.key);
    expect(page1.body.items.map((t: Json) => t.id)).toEqual([ids[2], ids[1]]);
    expect(page1.body.items[0].events).toBeUndefined();
    const page2 = await call(listRoute, "GET", `/api/v1/tasks?limit=2&cursor=${page1.body.nextCursor}`, agent.key);
    expect(page2.body.items.map((t: Json) => t.id)).toEqual([ids[0]]);

    await event(agent.key, ids[0]!, { type: "started" });
    await event(agent.key, ids[0]!, { type: "step_failed", error: { type: "io", message: "timeout upstream" } });
    await getDb().task.update({ where: { id: ids[0]! }, data: { retryAt: new Date(Date.now() - 1) } });
    const due = await call(listRoute, "GET", "/api/v1/tasks?due=true", agent.key);
    expect(due.body.items.map((t: Json) => t.id)).toEqual([ids[0]]);
    const accepted = await call(listRoute, "GET", "/api/v1/tasks?status=accepted", agent.key);
    expect(accepted.body.items).toHaveLength(2);
  });
});

describe("tasks — retries, dead letters, escalations", () => {
  it("retry schedule with 1000 ms × 2 capped at 3000 ms: +1 s, +2 s, +3 s", async () => {
    const agent = await seedAgent();
    await getDb().workflowClass.update({
      where: { id: agent.workflowClass.id },
      data: { maxAttempts: 4, initialIntervalMs: 1000, backoffCoefficient: 2, maxIntervalMs: 3000 },
    });
    const id = (await create(agent.key, { namespace: "billing.runs" })).body.id;
    const waits: number[] = [];
    for (let i = 0; i < 3; i++) {
      await getDb().task.update({ where: { id }, data: { retryAt: null } });
      await event(agent.key, id, { type: "started" });
      const events = await getDb().taskEvent.findMany({ where: { taskId: id }, orderBy: { seq: "desc" }, take: 1 });
      const failed = await event(agent.key, id, { type: "step_failed", error: { type: "io", message: "flaky" } });
      const failedAt = (await getDb().taskEvent.findFirstOrThrow({ where: { taskId: id, seq: events[0]!.seq + 1 } }))
        .createdAt;
      waits.push(new Date(failed.body.retryAt).getTime() - failedAt.getTime());
    }
    expect(waits).toEqual([1000, 2000, 3000]);
  });

  it("retries with backoff until attempts run out, then dead-letters and opens an escalation", async () => {
    const agent = await seedAgent();
    const id = (await create(agent.key, { namespace: "billing.runs" })).body.id;
    for (let attempt = 1; attempt <= 3; attempt++) {
      const started = await event(agent.key, id, { type: "started" });
      expect(started.body).toMatchObject({ status: "running", attempt });
      const before = Date.now();
      const failed = await event(agent.key, id, {
        type: "step_failed",
        error: { type: "io", message: `boom ${attempt}` },
      });
      if (attempt < 3) {
        expect(failed.body.status).toBe("retry_scheduled");
        const wait = new Date(failed.body.retryAt).getTime() - before;
        expect(wait).toBeGreaterThanOrEqual(1000 * 2 ** (attempt - 1) - 50);
        expect(wait).toBeLessThanOrEqual(1000 * 2 ** (attempt - 1) + 1000);
        const early = await event(agent.key, id, { type: "started" });
        expect(early.status).toBe(409);
        await getDb().task.update({ where: { id }, data: { retryAt: new Date(Date.now() - 1) } });
      } else {
        expect(failed.body).toMatchObject({ status: "dead_lettered", lastError: { type: "io", message: "boom 3" } });
      }
    }
    const escalations = await getDb().escalation.findMany({ where: { taskId: id } });
    expect(escalations).toMatchObject([{ cause: "dead_letter", status: "open", reason: "boom 3" }]);
  });

  it("dead-letters a non-retryable error at once", async () => {
    const agent = await seedAgent();
    const id = (await create(agent.key, { namespace: "billing.runs" })).body.id;
    await event(agent.key, id, { type: "started" });
    const failed = await event(agent.key, id, {
      type: "step_failed",
      error: { type: "validation", message: "bad invoice" },
    });
    expect(failed.body.status).toBe("dead_lettered");
  });

  it("escalate requires a reason and opens an agent-request escalation", async () => {
    const agent = await seedAgent();
    const id = (await create(agent.key, { namespace: "billing.runs" })).body.id;
    await event(agent.key, id, { type: "started" });
    expect((await event(agent.key, id, { type: "escalate" })).status).toBe(422);
    const escalated = await event(agent.key, id, { type: "escalate", reason: "amount looks wrong" });
    expect(escalated.body.status).toBe("awaiting_human");
    expect(await getDb().escalation.findMany({ where: { taskId: id } })).toMatchObject([
      { cause: "agent_request", reason: "amount looks wrong" },
    ]);
  });

  it("a crashed worker's task (no heartbeat) is failed by the system and retried", async () => {
    const agent = await seedAgent();
    const id = (await create(agent.key, { namespace: "billing.runs" })).body.id;
    await event(agent.key, id, { type: "started" });
    // The worker dies: let its heartbeat timeout (300 s) pass.
    const later = new Date(Date.now() + 301_000);
    const result = await failSilentTasks(later);
    expect(result.failed).toContain(id);
    const task = await getTask(agent.key, id);
    expect(task.body).toMatchObject({ status: "retry_scheduled", lastError: { type: "timeout" } });
    expect(task.body.events.at(-1)).toMatchObject({
      type: "timeout",
      actor: { type: "system", name: "heartbeat-monitor" },
    });
    // A live task is left alone.
    const alive = (await create(agent.key, { namespace: "billing.runs" })).body.id;
    await event(agent.key, alive, { type: "started" });
    expect((await failSilentTasks(new Date(Date.now() + 10_000))).failed).not.toContain(alive);
  });
});

describe("tasks — refusals", () => {
  it("two workers send started for the same task at the same moment: exactly one succeeds, the other gets 409", async () => {
    const agent = await seedAgent();
    const id = (await create(agent.key, { namespace: "billing.runs" })).body.id;
    const results = await Promise.all([
      event(agent.key, id, { type: "started" }),
      event(agent.key, id, { type: "started" }),
    ]);
    expect(results.map((r) => r.status).sort()).toEqual([200, 409]);
    const task = await getTask(agent.key, id);
    expect(task.body.attempt).toBe(1);
    expect(task.body.events.map((e: Json) => e.type)).toEqual(["accepted", "started"]);
  });

  it("a stale If-Match writes nothing", async () => {
    const agent = await seedAgent();
    const id = (await create(agent.key, { namespace: "billing.runs" })).body.id;
    await event(agent.key, id, { type: "started" });
    const stale = await event(
      agent.key,
      id,
      { type: "step_completed", step: "a", checkpoint: { x: 1 } },
      { "If-Match": '"1"' },
    );
    expect(stale.status).toBe(412);
    const task = await getTask(agent.key, id);
    expect(task.body.events).toHaveLength(2);
    expect(task.body.checkpoint).toBeNull();
  });

  it("refuses an illegal transition with 409 invalid_transition and audits it", async () => {
    const agent = await seedAgent();
    const id = (await create(agent.key, { namespace: "billing.runs" })).body.id;
    const refused = await event(agent.key, id, { type: "committed" });
    expect(refused.status).toBe(409);
    expect(refused.body.error).toMatchObject({
      code: "invalid_transition",
      details: { from: "accepted", event: "committed" },
    });
    const [audited] = await auditEvents({ workspaceId: agent.workspace.id, action: "task.event" });
    expect(audited).toMatchObject({ outcome: "conflict" });
    expect((await getTask(agent.key, id)).body.events).toHaveLength(1);
  });

  it("If-Match on the last sequence number refuses an event that came second (412)", async () => {
    const agent = await seedAgent();
    const id = (await create(agent.key, { namespace: "billing.runs" })).body.id;
    expect((await event(agent.key, id, { type: "started" }, { "If-Match": '"1"' })).status).toBe(200);
    const stale = await event(agent.key, id, { type: "heartbeat" }, { "If-Match": '"1"' });
    expect(stale.status).toBe(412);
    expect(stale.body.error.details.currentSeq).toBe(2);
  });

  it("replays an event sent twice with the same Idempotency-Key instead of applying it twice", async () => {
    const agent = await seedAgent();
    const id = (await create(agent.key, { namespace: "billing.runs" })).body.id;
    const first = await event(agent.key, id, { type: "started" }, { "Idempotency-Key": "start-1" });
    const again = await event(agent.key, id, { type: "started" }, { "Idempotency-Key": "start-1" });
    expect(again.headers.get("Idempotent-Replayed")).toBe("true");
    expect(again.body).toEqual(first.body);
    expect((await getTask(agent.key, id)).body.attempt).toBe(1);
  });

  it("validates bodies: step_completed needs a step, step_failed an error; unknown types are 422", async () => {
    const agent = await seedAgent();
    const id = (await create(agent.key, { namespace: "billing.runs" })).body.id;
    await event(agent.key, id, { type: "started" });
    expect((await event(agent.key, id, { type: "step_completed" })).status).toBe(422);
    expect((await event(agent.key, id, { type: "step_failed" })).status).toBe(422);
    expect((await event(agent.key, id, { type: "redrive" })).status).toBe(422);
    expect((await create(agent.key, { namespace: "no.such.ns" })).status).toBe(403);
  });

  it("tasks are visible only to identities of the same class and workspace (404 otherwise)", async () => {
    const agent = await seedAgent([{ pattern: "*", access: "readwrite" }]);
    const id = (await create(agent.key, { namespace: "billing.runs" })).body.id;
    const otherWorkspace = await seedAgent([{ pattern: "*", access: "readwrite" }]);
    expect((await getTask(otherWorkspace.key, id)).status).toBe(404);
    expect((await event(otherWorkspace.key, id, { type: "started" })).status).toBe(404);

    await createWorkflowClass({
      workspaceId: agent.workspace.id,
      actor: testActor,
      name: "reports",
      maxAttempts: 1,
      initialIntervalMs: 1,
      backoffCoefficient: 1,
      maxIntervalMs: 1,
      nonRetryableErrors: [],
      heartbeatTimeoutSeconds: 60,
    });
    const other = await createIdentity({
      workspaceId: agent.workspace.id,
      actor: testActor,
      name: "report-bot",
      workflowClass: "reports",
      grants: [{ pattern: "*", access: "readwrite" }],
    });
    const otherKey = (
      await issueCredential({ workspaceId: agent.workspace.id, actor: testActor, identityId: other.id })
    ).key;
    expect((await getTask(otherKey, id)).status).toBe(404);
    expect((await call(listRoute, "GET", "/api/v1/tasks", otherKey)).body.items).toEqual([]);
  });
});
