import { describe, expect, it } from "vitest";
import { getDb } from "@/lib/server/db";
import { updateWorkspace } from "@/lib/server/workspaces/update-workspace";
import { BaseKV, BaseKVError, isBaseKVError, type BaseKVOptions, type FetchLike } from "@/sdk";
import { seedAgent } from "@/tests/agent-fixtures";
import { auditEvents, testActor } from "@/tests/fixtures";
import { routeFetch } from "@/tests/sdk-server";

/** A client on the real route handlers that records every request and every wait. */
function harness(key: string, options: Partial<BaseKVOptions> & { wrap?: (next: FetchLike) => FetchLike } = {}) {
  const requests: { method: string; url: string; headers: Headers }[] = [];
  const sleeps: number[] = [];
  const recording: FetchLike = (input, init) => {
    requests.push({ method: init.method ?? "GET", url: input, headers: new Headers(init.headers) });
    return routeFetch(input, init);
  };
  const client = new BaseKV({
    baseUrl: "http://localhost",
    apiKey: key,
    fetch: options.wrap ? options.wrap(recording) : recording,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    random: () => 0.5,
    ...options,
  });
  return { client, requests, sleeps };
}

/** Performs the request — the server commits it — then loses the response, as a dropped connection would. */
function dropFirstResponses(count: number): (next: FetchLike) => FetchLike {
  let dropped = 0;
  return (next) => async (input, init) => {
    const response = await next(input, init);
    if (dropped < count) {
      dropped++;
      await response.text();
      throw new TypeError("fetch failed: socket hang up (dropped by the test)");
    }
    return response;
  };
}

async function caught(promise: Promise<unknown>): Promise<BaseKVError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof BaseKVError) return error;
    throw error;
  }
  throw new Error("expected a BaseKVError");
}

describe("SDK — happy", () => {
  it("policy, put/get/list/delete with versions, guardrail headers on the client and on each result", async () => {
    const agent = await seedAgent();
    const { client } = harness(agent.key);
    expect(client.lastGuardrail).toBeNull();

    const policy = await client.policy();
    expect(policy).toMatchObject({ identity: { name: "invoice-bot", workflowClass: "invoices" }, mode: "normal" });
    expect(policy.$meta.status).toBe(200);
    expect(Object.keys(policy)).not.toContain("$meta"); // the body stays the API's

    const created = await client.kv.put("billing.runs", "invoice/42 — été", { total: 42 }, { ifAbsent: true });
    expect(created).toEqual({ namespace: "billing.runs", key: "invoice/42 — été", version: 1, expiresAt: null });
    expect(created.$meta).toMatchObject({ status: 201, replayed: false, etag: 1, attempts: 1 });
    expect(created.$meta.idempotencyKey).toMatch(/^[0-9a-f-]{36}$/);

    const updated = await client.kv.put(
      "billing.runs",
      "invoice/42 — été",
      { total: 43 },
      { ifVersion: 1, ttlSeconds: 600 },
    );
    expect(updated.version).toBe(2);
    expect(updated.expiresAt).not.toBeNull();

    const read = await client.kv.get<{ total: number }>("billing.runs", "invoice/42 — été");
    expect(read.value.total).toBe(43);
    expect(read.$meta.etag).toBe(2);
    expect(read.$meta.guardrail).toMatchObject({ mode: "normal", requestId: expect.stringMatching(/^req_/) });
    expect(client.lastGuardrail).toEqual(read.$meta.guardrail);

    await client.kv.put("billing.runs", "invoice/43", 1);
    const page = await client.kv.list("billing.runs", { prefix: "invoice/", limit: 1 });
    expect(page.items).toHaveLength(1);
    expect(page.nextCursor).not.toBeNull();
    const all = [];
    for await (const item of client.kv.iterate("billing.runs", { prefix: "invoice/", limit: 1 })) all.push(item.key);
    expect(all).toEqual(["invoice/42 — été", "invoice/43"]);

    const deleted = await client.kv.delete("billing.runs", "invoice/43", { ifVersion: 1 });
    expect(deleted).toEqual({ namespace: "billing.runs", key: "invoice/43", deleted: true, version: 1 });
  });

  it("reports the daily budget from RateLimit-* headers when the workspace has one", async () => {
    const agent = await seedAgent();
    await updateWorkspace({ slug: agent.workspace.slug, actor: testActor, settings: { dailyRequestLimit: 100 } });
    const { client } = harness(agent.key);
    await client.kv.put("billing.runs", "a", 1);
    expect(client.lastGuardrail).toMatchObject({ mode: "normal", limit: 100, remaining: 99 });
    expect(client.lastGuardrail!.resetSeconds).toBeGreaterThan(0);
  });

  it("sends X-Reason percent-encoded (the audit event has it decoded) and the correlation id", async () => {
    const agent = await seedAgent();
    const { client, requests } = harness(agent.key, { correlationId: "run-7" });
    const put = await client.kv.put("billing.runs", "r", 1, { reason: "réimport 100% ✓ — ok" });
    expect(requests[0]!.headers.get("X-Reason")).toBe("r%C3%A9import 100%25 %E2%9C%93 %E2%80%94 ok");
    expect(put.$meta.guardrail.correlationId).toBe("run-7");
    const [audit] = await auditEvents({ workspaceId: agent.workspace.id, action: "kv.put" });
    expect(audit).toMatchObject({ reason: "réimport 100% ✓ — ok", correlationId: "run-7" });
  });
});

describe("SDK — idempotent retries", () => {
  it("a PUT whose response is dropped is retried with the same Idempotency-Key and writes exactly once", async () => {
    const agent = await seedAgent();
    const { client, requests, sleeps } = harness(agent.key, { wrap: dropFirstResponses(1) });
    const put = await client.kv.put("billing.runs", "once", { n: 1 });

    expect(requests).toHaveLength(2);
    const [first, second] = requests.map((r) => r.headers.get("Idempotency-Key"));
    expect(first).toBeTruthy();
    expect(second).toBe(first);
    expect(put.$meta).toMatchObject({ status: 201, replayed: true, attempts: 2, idempotencyKey: first });
    expect(put.version).toBe(1);
    expect(sleeps).toEqual([100]); // full jitter: 0.5 · min(10 000, 200 · 2⁰)

    // One write: version 1, one row, one audit event.
    expect((await client.kv.get("billing.runs", "once")).version).toBe(1);
    const rows = await getDb().kvEntry.findMany({ where: { workspaceId: agent.workspace.id, key: "once" } });
    expect(rows.map((r) => r.version)).toEqual([1]);
    expect(await auditEvents({ workspaceId: agent.workspace.id, action: "kv.put" })).toHaveLength(1);
  });

  it("an If-Match PUT, a task creation and a task event survive a dropped response without a second effect", async () => {
    const agent = await seedAgent();
    const { client: direct } = harness(agent.key);
    await direct.kv.put("billing.runs", "v", 1);
    const { client } = harness(agent.key, { wrap: dropFirstResponses(3) });

    const put = await client.kv.put("billing.runs", "v", 2, { ifVersion: 1 });
    // Without idempotency the retry would have met version 2 and failed with 412.
    expect(put).toMatchObject({ version: 2 });
    expect(put.$meta.replayed).toBe(true);

    const task = await client.tasks.create({ namespace: "billing.runs", input: { n: 1 } });
    const started = await client.tasks.event(task.id, { type: "started" });
    expect(started).toMatchObject({ status: "running", attempt: 1 });
    expect(await getDb().task.count({ where: { workspaceId: agent.workspace.id } })).toBe(1);
    expect((await direct.tasks.get(task.id)).events.map((e) => e.type)).toEqual(["accepted", "started"]);
  });

  it("the caller may name the Idempotency-Key: a later call with it replays the first response", async () => {
    const agent = await seedAgent();
    const { client } = harness(agent.key);
    const first = await client.kv.put("billing.runs", "k", 1, { idempotencyKey: "import-42" });
    const again = await client.kv.put("billing.runs", "k", 1, { idempotencyKey: "import-42" });
    expect(again).toEqual(first);
    expect(again.$meta.replayed).toBe(true);
    const reused = await caught(client.kv.put("billing.runs", "k", 2, { idempotencyKey: "import-42" }));
    expect(reused).toMatchObject({ code: "idempotency_key_reused", status: 422, attempts: 1 });
  });

  it("retries 5xx honouring Retry-After in seconds, and 409 idempotency_in_progress with backoff", async () => {
    const agent = await seedAgent();
    const canned = [
      new Response(JSON.stringify({ error: { code: "internal", message: "x", requestId: "req_1", details: {} } }), {
        status: 503,
        headers: { "Retry-After": "3", "Content-Type": "application/json" },
      }),
      new Response(
        JSON.stringify({ error: { code: "idempotency_in_progress", message: "x", requestId: "req_2", details: {} } }),
        { status: 409, headers: { "Content-Type": "application/json" } },
      ),
      new Response("<html>bad gateway</html>", { status: 502, headers: { "Retry-After": "1" } }),
    ];
    const { client, requests, sleeps } = harness(agent.key, {
      wrap: (next) => async (input, init) => canned.shift() ?? next(input, init),
    });
    const put = await client.kv.put("billing.runs", "r", 1, {});
    expect(put.$meta.attempts).toBe(4);
    expect(sleeps).toEqual([3000, 200, 1000]); // Retry-After 3 s; 0.5 · 200 · 2¹; Retry-After 1 s
    expect(new Set(requests.map((r) => r.headers.get("Idempotency-Key"))).size).toBe(1);
  });

  it("gives up after maxAttempts and raises the last error; a Retry-After beyond maxRetryAfterMs is not waited for", async () => {
    const agent = await seedAgent();
    const always503 = (retryAfter: string) => () => async () =>
      new Response(JSON.stringify({ error: { code: "internal", message: "down", requestId: "req_x", details: {} } }), {
        status: 503,
        headers: { "Retry-After": retryAfter },
      });
    const a = harness(agent.key, { wrap: always503("1"), retry: { maxAttempts: 3 } });
    const error = await caught(a.client.policy());
    expect(error).toMatchObject({ code: "internal", status: 503, attempts: 3, retryAfter: 1 });
    expect(a.sleeps).toEqual([1000, 1000]);

    const b = harness(agent.key, { wrap: always503("3600") });
    expect(await caught(b.client.policy())).toMatchObject({ code: "internal", retryAfter: 3600, attempts: 1 });
    expect(b.sleeps).toEqual([]);

    const c = harness(agent.key, {
      wrap: () => async () => {
        throw new TypeError("ECONNREFUSED");
      },
      retry: { maxAttempts: 2 },
    });
    expect(await caught(c.client.policy())).toMatchObject({ code: "network_error", status: 0, attempts: 2 });
  });
});

describe("SDK — typed errors, never retried", () => {
  it("forbidden_namespace, not_found, version_conflict (If-Match and If-None-Match), invalid_transition, validation_failed, unauthorized", async () => {
    const agent = await seedAgent([{ pattern: "billing.*", access: "readwrite" }], {
      namespaces: ["billing.runs", "hr.people"],
    });
    const { client, requests, sleeps } = harness(agent.key);

    const forbidden = await caught(client.kv.get("hr.people", "alice"));
    expect(forbidden).toMatchObject({ code: "forbidden_namespace", status: 403, attempts: 1 });
    expect(forbidden.requestId).toMatch(/^req_/);
    expect(forbidden.details).toMatchObject({ namespace: "hr.people" });
    expect(isBaseKVError(forbidden, "forbidden_namespace")).toBe(true);

    expect(await caught(client.kv.get("billing.runs", "nope"))).toMatchObject({ code: "not_found", status: 404 });
    expect(await caught(client.kv.get("billing.other", "nope"))).toMatchObject({ code: "not_found", status: 404 });

    await client.kv.put("billing.runs", "v", 1);
    const conflict = await caught(client.kv.put("billing.runs", "v", 2, { ifVersion: 7 }));
    expect(conflict).toMatchObject({ code: "version_conflict", status: 412, details: { currentVersion: 1 } });
    expect(await caught(client.kv.put("billing.runs", "v", 2, { ifAbsent: true }))).toMatchObject({
      code: "version_conflict",
      details: { currentVersion: 1 },
    });
    expect(await caught(client.kv.put("billing.runs", "v", 2, { ttlSeconds: -1 }))).toMatchObject({
      code: "validation_failed",
      status: 422,
    });

    const task = await client.tasks.create({ namespace: "billing.runs" });
    const refused = await caught(client.tasks.event(task.id, { type: "committed", output: 1 }));
    expect(refused).toMatchObject({
      code: "invalid_transition",
      status: 409,
      details: { from: "accepted", event: "committed" },
    });
    expect(await caught(client.tasks.event(task.id, { type: "started" }, { ifSeq: 9 }))).toMatchObject({
      code: "version_conflict",
      status: 412,
    });

    const stranger = harness("bkv_notarealkey000000000000000000000000000");
    const unauthorized = await caught(stranger.client.policy());
    expect(unauthorized).toMatchObject({ code: "unauthorized", status: 401, attempts: 1 });
    expect(stranger.client.lastGuardrail).toMatchObject({ mode: null, requestId: unauthorized.requestId });

    // Ten calls, ten requests: no 4xx was ever retried.
    expect(requests).toHaveLength(10);
    expect(sleeps).toEqual([]);
    expect(stranger.requests).toHaveLength(1);
  });

  it("budget_exhausted is raised at once with retryAfter and the stopped mode, not retried by default", async () => {
    const agent = await seedAgent();
    await updateWorkspace({
      slug: agent.workspace.slug,
      actor: testActor,
      settings: { dailyRequestLimit: 2, stopMessage: "Spent for today." },
    });
    const { client, requests, sleeps } = harness(agent.key);
    await client.kv.put("billing.runs", "a", 1);
    await client.kv.put("billing.runs", "b", 1);
    const before = requests.length;
    const stopped = await caught(client.kv.put("billing.runs", "c", 1));
    expect(stopped).toMatchObject({ code: "budget_exhausted", status: 429, message: "Spent for today.", attempts: 1 });
    expect(stopped.isBudgetError).toBe(true);
    expect(stopped.retryAfter).toBeGreaterThan(0);
    expect(stopped.details.resetAt).toEqual(expect.any(String));
    expect(client.lastGuardrail).toMatchObject({ mode: "stopped", limit: 2, remaining: 0 });
    expect(requests.length - before).toBe(1);
    expect(sleeps).toEqual([]);
    // GET /policy still answers, and says why.
    expect(await client.policy()).toMatchObject({ mode: "stopped", message: "Spent for today." });
  });

  it("the caller's abort stops a call at once, without retrying", async () => {
    const agent = await seedAgent();
    const controller = new AbortController();
    controller.abort(new Error("shutting down"));
    const { client, requests } = harness(agent.key);
    await expect(client.policy({ signal: controller.signal })).rejects.toThrow("shutting down");
    expect(requests.length).toBeLessThanOrEqual(1);
  });
});
