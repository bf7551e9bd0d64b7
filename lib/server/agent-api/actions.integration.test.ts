import { describe, expect, it } from "vitest";
import { POST as cancelRoute } from "@/app/api/v1/actions/[id]/cancel/route";
import { POST as completeRoute } from "@/app/api/v1/actions/[id]/complete/route";
import { GET as getRoute } from "@/app/api/v1/actions/[id]/route";
import { POST as requestRoute } from "@/app/api/v1/actions/route";
import { POST as createTaskRoute } from "@/app/api/v1/tasks/route";
import { POST as taskEventRoute } from "@/app/api/v1/tasks/[id]/events/route";
import { argumentsSha256 } from "@/lib/core/action-arguments";
import { agentRequest, callRoute, seedAgent, seedRule } from "@/tests/agent-fixtures";
import { auditEvents, testActor } from "@/tests/fixtures";
import { decideOnAction } from "../actions/decide-approval";
import { issueCredential } from "../credentials/issue-credential";
import { createIdentity } from "../identities/create-identity";
import { getDb } from "../db";
import { failSilentTasks } from "../jobs/heartbeat-timeouts";
import { runActionDeadlines } from "../jobs/action-deadlines";
import { createUser } from "../users/create-user";
import { updateWorkspace } from "../workspaces/update-workspace";
import { createWorkflowClass } from "../workflow-classes/create-workflow-class";
import { PUT as putKvRoute } from "@/app/api/v1/kv/[namespace]/[key]/route";
import { actionWaiterCount } from "../actions/waiters";
import { getPool } from "../db/pool";
import { hashKey } from "@/lib/core/keys";
import { ruleInputSchema } from "@/lib/validations/actions";
import { updateRule } from "../actions/rules";
import { completeActionExpress, requestActionExpress } from "./action-handlers";
import { loadPrincipal } from "./authenticate";

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const call = callRoute;
const ask = (key: string, body: unknown, headers?: Record<string, string>) =>
  call(requestRoute, "POST", "/api/v1/actions", key, body, headers);
const read = (key: string, id: string, wait?: number) =>
  call(
    getRoute,
    "GET",
    `/api/v1/actions/${id}${wait === undefined ? "" : `?wait=${wait}`}`,
    key,
    undefined,
    {},
    { id },
  );
const complete = (key: string, id: string, body: unknown, headers?: Record<string, string>) =>
  call(completeRoute, "POST", `/api/v1/actions/${id}/complete`, key, body, headers, { id });
const cancel = (key: string, id: string, body?: unknown, headers?: Record<string, string>) =>
  call(cancelRoute, "POST", `/api/v1/actions/${id}/cancel`, key, body, headers, { id });

const refund = {
  action: "payments.refund",
  summary: "Refund €40 for order 123",
  resource: "order/123",
  arguments: { order: 123, amount: 40 },
  estimate: { usd: 12.5, tokens: 0 },
};

async function operator(slug: string, role: "operator" | "admin" = "operator") {
  const { userId } = await createUser({
    actor: testActor,
    email: `op-${Math.random().toString(36).slice(2)}@example.test`,
    password: "correct horse battery staple",
    workspaceSlug: slug,
    role,
  });
  return { type: "user" as const, userId, name: "an operator" };
}

async function approve(
  agent: Awaited<ReturnType<typeof seedAgent>>,
  id: string,
  who: Awaited<ReturnType<typeof operator>>,
  extra: { editedArguments?: unknown } = {},
) {
  return decideOnAction({
    workspaceId: agent.workspace.id,
    actionId: id,
    approver: who,
    choice: { decision: "approve", reason: "looks right", ...extra },
    actor: { type: "user", id: who.userId, name: who.name },
  });
}

describe("POST /actions — the rules decide", () => {
  it("an allow rule: 201 allowed with a completion deadline, the rule's copy, the audit event with the arguments' SHA-256 (never the arguments)", async () => {
    const agent = await seedAgent();
    await seedRule(agent, { name: "refunds", action: "payments.*", effect: "allow", completionTimeoutSeconds: 600 });
    const before = Date.now();
    const { status, body } = await ask(agent.key, refund);
    expect(status).toBe(201);
    expect(body).toMatchObject({
      id: expect.stringMatching(/^act_[0-9a-z]{16}$/),
      action: "payments.refund",
      status: "allowed",
      summary: refund.summary,
      resource: "order/123",
      arguments: refund.arguments,
      approvedArguments: null,
      estimate: { usd: 12.5, tokens: 0 },
      actual: null,
      overrun: false,
      rule: { name: "refunds", effect: "allow", mode: "enforce" },
      shadow: [],
      approvals: [],
      requiredApprovals: 1,
      taskId: null,
    });
    const expires = new Date(body.expiresAt).getTime();
    expect(expires).toBeGreaterThanOrEqual(before + 600_000 - 5);
    expect(expires).toBeLessThanOrEqual(Date.now() + 600_000 + 5);
    const [event] = await auditEvents({ workspaceId: agent.workspace.id, action: "action.requested", target: body.id });
    expect(event!.details).toMatchObject({ status: "allowed", argumentsSha256: argumentsSha256(refund.arguments) });
    expect(JSON.stringify(event!.details)).not.toContain("amount");
  });

  it("deny: 403 action_denied with the rule's message, details.rule and details.actionId; the denied action is kept and does not count", async () => {
    const agent = await seedAgent();
    await updateWorkspace({ slug: agent.workspace.slug, actor: testActor, settings: { dailyRequestLimit: 100 } });
    await seedRule(agent, { name: "no-email", action: "email.*", effect: "deny", message: "Email is off today." });
    const { status, body, headers } = await ask(agent.key, { action: "email.send" });
    expect(status).toBe(403);
    expect(body.error).toMatchObject({ code: "action_denied", message: "Email is off today." });
    expect(body.error.details.rule.name).toBe("no-email");
    const kept = await getDb().action.findUniqueOrThrow({ where: { id: body.error.details.actionId } });
    expect(kept.status).toBe("denied");
    expect(headers.get("RateLimit-Remaining")).toBe("100");
  });

  it("no enforce rule matches: the workspace default decides (deny for a new workspace), and it can be changed", async () => {
    const agent = await seedAgent();
    const denied = await ask(agent.key, { action: "llm.openai.chat" });
    expect(denied.status).toBe(403);
    expect(denied.body.error.details.rule).toBeNull();
    await updateWorkspace({
      slug: agent.workspace.slug,
      actor: testActor,
      settings: { defaultActionEffect: "require_approval" },
    });
    const pending = await ask(agent.key, { action: "llm.openai.chat" });
    expect(pending.status).toBe(202);
    expect(pending.body).toMatchObject({ status: "pending_approval", rule: null });
  });

  it("rule order, prefix.* excludes the prefix itself, class scoping, minimum estimates; shadow verdicts are recorded, never applied", async () => {
    const agent = await seedAgent();
    await seedRule(agent, { name: "watch", action: "*", effect: "deny", mode: "shadow" });
    await seedRule(agent, {
      name: "other-class",
      action: "payments.*",
      effect: "deny",
      workflowClass: "someone-else",
    }).catch(() => null);
    await createWorkflowClass({
      workspaceId: agent.workspace.id,
      actor: testActor,
      name: "someone-else",
      maxAttempts: 1,
      initialIntervalMs: 1000,
      backoffCoefficient: 2,
      maxIntervalMs: 1000,
      nonRetryableErrors: [],
      heartbeatTimeoutSeconds: 60,
    });
    await seedRule(agent, { name: "other-class", action: "payments.*", effect: "deny", workflowClass: "someone-else" });
    await seedRule(agent, { name: "big", action: "payments.*", effect: "require_approval", minEstimateUsd: 100 });
    await seedRule(agent, { name: "small", action: "payments.*", effect: "allow" });
    await seedRule(agent, { name: "exact", action: "payments", effect: "allow" });

    const small = await ask(agent.key, { action: "payments.refund", estimate: { usd: 99.999999 } });
    expect(small.status).toBe(201);
    expect(small.body.rule.name).toBe("small");
    expect(small.body.shadow).toEqual([{ rule: { id: expect.any(String), name: "watch" }, wouldBe: "denied" }]);
    const big = await ask(agent.key, { action: "payments.refund", estimate: { usd: 100 } });
    expect(big.status).toBe(202);
    expect(big.body.rule.name).toBe("big");
    const bare = await ask(agent.key, { action: "payments" });
    expect(bare.body.rule.name).toBe("exact");
  });

  it("requireEstimate: 422 validation_failed without estimate.usd, nothing stored; maxEstimateUsd denies above it", async () => {
    const agent = await seedAgent();
    await seedRule(agent, {
      name: "capped",
      action: "payments.*",
      effect: "allow",
      requireEstimate: true,
      maxEstimateUsd: 50,
    });
    const none = await ask(agent.key, { action: "payments.refund" });
    expect(none.status).toBe(422);
    expect(none.body.error.code).toBe("validation_failed");
    const over = await ask(agent.key, { action: "payments.refund", estimate: { usd: 50.000001 } });
    expect(over.status).toBe(403);
    const at = await ask(agent.key, { action: "payments.refund", estimate: { usd: 50 } });
    expect(at.status).toBe(201);
    expect(await getDb().action.count({ where: { workspaceId: agent.workspace.id } })).toBe(2);
  });

  it("refuses bad input with 422 and stores nothing: a bad name, a negative or too-precise estimate, arguments above 64 KiB", async () => {
    const agent = await seedAgent();
    for (const body of [
      { action: "Payments Refund" },
      { action: "payments.refund", estimate: { usd: -1 } },
      { action: "payments.refund", estimate: { usd: 0.0000001 } },
      { action: "payments.refund", estimate: { tokens: 1.5 } },
      { action: "payments.refund", arguments: { blob: "x".repeat(65 * 1024) } },
      { action: "payments.refund", unknown: true },
    ]) {
      const { status, body: answer } = await ask(agent.key, body);
      expect(status, JSON.stringify(body).slice(0, 80)).toBe(422);
      expect(answer.error.code).toBe("validation_failed");
    }
    expect(await getDb().action.count({ where: { workspaceId: agent.workspace.id } })).toBe(0);
  });

  it("a taskId must name a task the caller may read (404 otherwise), and the action shows on that task", async () => {
    const agent = await seedAgent();
    await seedRule(agent, { name: "all", action: "*", effect: "allow" });
    const task = await call(createTaskRoute, "POST", "/api/v1/tasks", agent.key, { namespace: "billing.runs" });
    const ok = await ask(agent.key, { action: "email.send", taskId: task.body.id });
    expect(ok.status).toBe(201);
    expect(ok.body.taskId).toBe(task.body.id);
    expect((await ask(agent.key, { action: "email.send", taskId: "task_0000000000000000" })).status).toBe(404);
    // Another identity of the class, without a read grant on the task's namespace: 404 too.
    const blind = await createIdentity({
      workspaceId: agent.workspace.id,
      actor: testActor,
      name: "blind",
      workflowClass: "invoices",
      grants: [{ pattern: "other.*", access: "read" }],
    });
    const key = (
      await issueCredential({
        workspaceId: agent.workspace.id,
        actor: testActor,
        identityId: blind.id,
        expiresInSeconds: 600,
      })
    ).key;
    expect((await ask(key, { action: "email.send", taskId: task.body.id })).status).toBe(404);
  });

  it("a rule's rateLimit: at most N actions per identity per hour, then 429 action_rate_limited with Retry-After (not stored for idempotency)", async () => {
    const agent = await seedAgent();
    await seedRule(agent, { name: "limited", action: "email.*", effect: "allow", rateLimitCount: 2 });
    expect((await ask(agent.key, { action: "email.send" })).status).toBe(201);
    expect((await ask(agent.key, { action: "email.send" })).status).toBe(201);
    const third = await ask(agent.key, { action: "email.send" }, { "Idempotency-Key": "rl-1" });
    expect(third.status).toBe(429);
    expect(third.body.error).toMatchObject({ code: "action_rate_limited", details: { by: "actions", limit: 2 } });
    expect(Number(third.headers.get("Retry-After"))).toBeGreaterThan(3500);
    expect(await getDb().idempotencyRecord.count({ where: { identityId: agent.identity.id, key: "rl-1" } })).toBe(0);
  });

  it("a replay with the same Idempotency-Key answers the first answer again and creates nothing", async () => {
    const agent = await seedAgent();
    await seedRule(agent, { name: "ok", action: "payments.*", effect: "allow" });
    const first = await ask(agent.key, refund, { "Idempotency-Key": "refund-123" });
    const again = await ask(agent.key, refund, { "Idempotency-Key": "refund-123" });
    expect(again.status).toBe(201);
    expect(again.headers.get("Idempotent-Replayed")).toBe("true");
    expect(again.body).toEqual(first.body);
    expect(await getDb().action.count({ where: { workspaceId: agent.workspace.id } })).toBe(1);
  });
});

describe("the one-statement POST /actions", () => {
  async function expressCall(agent: Awaited<ReturnType<typeof seedAgent>>, body: unknown, idempotencyKey?: string) {
    const principal = (await loadPrincipal(hashKey(agent.key), new Date()))!;
    return requestActionExpress({
      request: agentRequest("/api/v1/actions", agent.key, { method: "POST" }) as never,
      keyHash: hashKey(agent.key),
      principal,
      bodyText: JSON.stringify(body),
      now: new Date(),
      requestId: "req_express0000000",
      correlationId: "corr-express",
      reason: null,
      idempotency: idempotencyKey
        ? { key: idempotencyKey, fingerprint: "f".repeat(64), expiresAt: new Date(Date.now() + 3600_000) }
        : null,
    });
  }

  it("stores what the general path stores, and answers as it does", async () => {
    const agent = await seedAgent();
    await seedRule(agent, { name: "refunds", action: "payments.*", effect: "allow" });
    const general = (await ask(agent.key, refund)).body; // loads the rules into this process's memory
    const fast = await expressCall(agent, refund, "express-1");
    expect(fast).not.toBeNull();
    expect(fast!.result.status).toBe(201);
    const answered = JSON.parse(fast!.result.rawBody!) as Json;
    const stored = (await read(agent.key, answered.id)).body;
    expect(answered).toEqual(stored);
    const strip = (a: Json) => ({ ...a, id: "", correlationId: "", createdAt: "", updatedAt: "", expiresAt: "" });
    expect(strip(stored)).toEqual(strip(general));
    const [event] = await auditEvents({
      workspaceId: agent.workspace.id,
      action: "action.requested",
      target: answered.id,
    });
    expect(event).toMatchObject({ outcome: "success", actorType: "identity", actorId: agent.identity.id });
    const replay = await getDb().idempotencyRecord.findUniqueOrThrow({
      where: { identityId_key: { identityId: agent.identity.id, key: "express-1" } },
    });
    expect(replay).toMatchObject({ responseStatus: 201, responseBody: fast!.result.rawBody });
  });

  it("leaves to the general path what it does not decide, and a rule change takes effect on the very next request", async () => {
    const agent = await seedAgent();
    const rule = await seedRule(agent, { name: "refunds", action: "payments.*", effect: "allow" });
    await seedRule(agent, { name: "ask", action: "email.*", effect: "require_approval" });
    await seedRule(agent, { name: "limited", action: "llm.*", effect: "allow", rateLimitCount: 5 });
    await ask(agent.key, refund);
    expect(await expressCall(agent, { action: "email.send" })).toBeNull(); // pending approval
    expect(await expressCall(agent, { action: "sms.send" })).toBeNull(); // denied by default
    expect(await expressCall(agent, { action: "llm.chat" })).toBeNull(); // rate-limited rule
    const principal = (await loadPrincipal(hashKey(agent.key), new Date()))!; // remembered before the change
    await updateRule({
      workspaceId: agent.workspace.id,
      actor: testActor,
      ruleId: rule.id,
      rule: ruleInputSchema.parse({ name: "refunds", action: "payments.*", effect: "deny" }),
    });
    const stale = await requestActionExpress({
      request: agentRequest("/api/v1/actions", agent.key, { method: "POST" }) as never,
      keyHash: hashKey(agent.key),
      principal,
      bodyText: JSON.stringify(refund),
      now: new Date(),
      requestId: "req_express0000001",
      correlationId: "corr-express",
      reason: null,
      idempotency: null,
    });
    expect(stale).toBeNull();
    expect((await ask(agent.key, refund)).status).toBe(403);
  });
});

describe("the one-statement complete", () => {
  async function completeFast(agent: Awaited<ReturnType<typeof seedAgent>>, id: string, body: unknown, key?: string) {
    const principal = (await loadPrincipal(hashKey(agent.key), new Date()))!;
    return completeActionExpress({
      request: agentRequest(`/api/v1/actions/${id}/complete`, agent.key, { method: "POST" }) as never,
      keyHash: hashKey(agent.key),
      principal,
      bodyText: JSON.stringify(body),
      now: new Date(),
      requestId: "req_completefast000",
      correlationId: "corr-complete",
      reason: null,
      idempotency: key ? { key, fingerprint: "c".repeat(64), expiresAt: new Date(Date.now() + 3600_000) } : null,
    });
  }

  it("settles and audits as the general path does; a second completion, or a rule with a maximum, is left to the general path", async () => {
    const agent = await seedAgent();
    await seedRule(agent, {
      name: "capped",
      action: "email.*",
      effect: "allow",
      requireEstimate: true,
      maxEstimateUsd: 5,
    });
    await seedRule(agent, { name: "refunds", action: "payments.*", effect: "allow" });
    const viaGeneral = (await ask(agent.key, refund)).body;
    const general = (await complete(agent.key, viaGeneral.id, { outcome: "succeeded", actual: { usd: 13 } })).body;
    const a = (await ask(agent.key, refund)).body;
    const fast = await completeFast(agent, a.id, { outcome: "succeeded", actual: { usd: 13 } }, "done-1");
    expect(fast?.result.status).toBe(200);
    const answered = JSON.parse(fast!.result.rawBody!) as Json;
    expect(answered).toEqual((await read(agent.key, a.id)).body);
    const strip = (x: Json) => ({ ...x, id: "", correlationId: "", createdAt: "", updatedAt: "" });
    expect(strip(answered)).toEqual(strip(general));
    expect(answered).toMatchObject({ status: "succeeded", actual: { usd: 13, tokens: 0 }, overrun: true });
    const [fastEvent] = await auditEvents({
      workspaceId: agent.workspace.id,
      action: "action.succeeded",
      target: a.id,
    });
    const [generalEvent] = await auditEvents({
      workspaceId: agent.workspace.id,
      action: "action.succeeded",
      target: viaGeneral.id,
    });
    expect(fastEvent!.details).toEqual(generalEvent!.details);
    expect(await completeFast(agent, a.id, { outcome: "failed" })).toBeNull(); // no longer allowed
    const capped = (await ask(agent.key, { action: "email.send", estimate: { usd: 1 } })).body;
    expect(await completeFast(agent, capped.id, { outcome: "succeeded" })).toBeNull(); // its rule has a maximum
    expect(await getDb().idempotencyRecord.count({ where: { identityId: agent.identity.id, key: "done-1" } })).toBe(1);
  });
});

describe("complete and cancel — each action settles once", () => {
  it("50 concurrent complete calls on one allowed action: one succeeds, 49 get 409 invalid_transition", async () => {
    const agent = await seedAgent();
    await seedRule(agent, { name: "ok", action: "payments.*", effect: "allow" });
    const { body: action } = await ask(agent.key, refund);
    const answers = await Promise.all(
      Array.from({ length: 50 }, () => complete(agent.key, action.id, { outcome: "succeeded", actual: { usd: 12 } })),
    );
    expect(answers.filter((a) => a.status === 200)).toHaveLength(1);
    const refused = answers.filter((a) => a.status === 409);
    expect(refused).toHaveLength(49);
    expect(refused[0]!.body.error).toMatchObject({ code: "invalid_transition", details: { from: "succeeded" } });
    const events = await auditEvents({
      workspaceId: agent.workspace.id,
      action: "action.succeeded",
      target: action.id,
    });
    expect(events).toHaveLength(1);
  });

  it("complete settles at the actual (default: the estimate), marks an overrun, and an actual above the rule's maximum opens an escalation", async () => {
    const agent = await seedAgent();
    await seedRule(agent, {
      name: "capped",
      action: "payments.*",
      effect: "allow",
      requireEstimate: true,
      maxEstimateUsd: 20,
    });
    const a = (await ask(agent.key, refund)).body;
    const plain = await complete(agent.key, a.id, { outcome: "succeeded", result: { refundId: "re_1" } });
    expect(plain.body).toMatchObject({
      status: "succeeded",
      actual: { usd: 12.5, tokens: 0 },
      overrun: false,
      result: { refundId: "re_1" },
    });
    const b = (await ask(agent.key, refund)).body;
    const over = await complete(agent.key, b.id, {
      outcome: "failed",
      actual: { usd: 25 },
      error: { type: "stripe", message: "card declined" },
    });
    expect(over.body).toMatchObject({
      status: "failed",
      actual: { usd: 25 },
      overrun: true,
      error: { type: "stripe" },
    });
    const escalation = await getDb().escalation.findFirstOrThrow({ where: { actionId: b.id } });
    expect(escalation).toMatchObject({ cause: "overrun", status: "open", taskId: null });
  });

  it("settling is never refused: complete and cancel are answered under the kill switch and count against no limit", async () => {
    const agent = await seedAgent();
    await seedRule(agent, { name: "ok", action: "payments.*", effect: "allow" });
    await updateWorkspace({ slug: agent.workspace.slug, actor: testActor, settings: { dailyRequestLimit: 2 } });
    const a = (await ask(agent.key, refund)).body;
    const b = (await ask(agent.key, refund)).body;
    expect((await ask(agent.key, refund)).status).toBe(429); // the request budget is spent
    await updateWorkspace({ slug: agent.workspace.slug, actor: testActor, settings: { killSwitch: true } });
    const done = await complete(agent.key, a.id, { outcome: "succeeded" }, { "X-Priority": "low" });
    expect(done.status).toBe(200);
    expect(done.headers.get("X-Guardrail-Mode")).toBe("stopped");
    expect((await cancel(agent.key, b.id)).status).toBe(200);
    expect((await read(agent.key, a.id)).status).toBe(429); // reads are counted and refused when stopped
  });

  it("cancel: from pending or allowed, with or without a body; a final action refuses it (409)", async () => {
    const agent = await seedAgent();
    await seedRule(agent, { name: "ask", action: "payments.*", effect: "require_approval" });
    const pending = (await ask(agent.key, refund)).body;
    const cancelled = await cancel(agent.key, pending.id, { reason: "the customer withdrew" });
    expect(cancelled.body).toMatchObject({ status: "cancelled", expiresAt: null });
    expect((await cancel(agent.key, pending.id)).status).toBe(409);
    expect((await complete(agent.key, pending.id, { outcome: "succeeded" })).body.error.details.from).toBe("cancelled");
  });

  it("another class's identity, or another workspace's key, sees 404 and changes nothing", async () => {
    const agent = await seedAgent();
    const other = await seedAgent();
    await seedRule(agent, { name: "ok", action: "payments.*", effect: "allow" });
    const a = (await ask(agent.key, refund)).body;
    await createWorkflowClass({
      workspaceId: agent.workspace.id,
      actor: testActor,
      name: "mail",
      maxAttempts: 1,
      initialIntervalMs: 1000,
      backoffCoefficient: 2,
      maxIntervalMs: 1000,
      nonRetryableErrors: [],
      heartbeatTimeoutSeconds: 60,
    });
    const mailer = await createIdentity({
      workspaceId: agent.workspace.id,
      actor: testActor,
      name: "mailer",
      workflowClass: "mail",
      grants: [],
    });
    const mailKey = (
      await issueCredential({
        workspaceId: agent.workspace.id,
        actor: testActor,
        identityId: mailer.id,
        expiresInSeconds: 600,
      })
    ).key;
    for (const key of [mailKey, other.key]) {
      expect((await read(key, a.id)).status).toBe(404);
      expect((await complete(key, a.id, { outcome: "succeeded" })).status).toBe(404);
      expect((await cancel(key, a.id)).status).toBe(404);
    }
    expect((await read(agent.key, a.id)).body.status).toBe("allowed");
  });
});

describe("approvals", () => {
  it("two approvals: one leaves it pending, the same person twice is refused, a second person allows it", async () => {
    const agent = await seedAgent();
    await seedRule(agent, { name: "two", action: "payments.*", effect: "require_approval", requiredApprovals: 2 });
    const a = (await ask(agent.key, refund)).body;
    expect(a.requiredApprovals).toBe(2);
    const first = await operator(agent.workspace.slug);
    const second = await operator(agent.workspace.slug, "admin");
    expect((await approve(agent, a.id, first)).status).toBe("pending_approval");
    await expect(approve(agent, a.id, first)).rejects.toMatchObject({ code: "already_approved" });
    const allowed = await approve(agent, a.id, second);
    expect(allowed.status).toBe("allowed");
    const seen = (await read(agent.key, a.id)).body;
    expect(seen.approvals.map((x: Json) => x.decision)).toEqual(["approve", "approve"]);
    expect(seen.expiresAt).not.toBeNull();
  });

  it("one rejection rejects at once; a reason is required; a viewer cannot decide; no approval while the kill switch is on", async () => {
    const agent = await seedAgent();
    await seedRule(agent, { name: "two", action: "payments.*", effect: "require_approval", requiredApprovals: 2 });
    const who = await operator(agent.workspace.slug);
    const a = (await ask(agent.key, refund)).body;
    await expect(
      decideOnAction({
        workspaceId: agent.workspace.id,
        actionId: a.id,
        approver: who,
        choice: { decision: "approve", reason: "  " },
        actor: testActor,
      }),
    ).rejects.toMatchObject({ code: "reason_required" });
    await expect(
      decideOnAction({
        workspaceId: agent.workspace.id,
        actionId: a.id,
        approver: { type: "user", userId: agent.members.viewer!.id, name: "v" },
        choice: { decision: "approve", reason: "me" },
        actor: testActor,
      }),
    ).rejects.toMatchObject({ code: "forbidden" });
    await updateWorkspace({ slug: agent.workspace.slug, actor: testActor, settings: { killSwitch: true } });
    await expect(approve(agent, a.id, who)).rejects.toMatchObject({ code: "conflict" });
    const rejected = await decideOnAction({
      workspaceId: agent.workspace.id,
      actionId: a.id,
      approver: who,
      choice: { decision: "reject", reason: "not this one" },
      actor: testActor,
    });
    expect(rejected.status).toBe("rejected");
    const events = await auditEvents({ workspaceId: agent.workspace.id, action: "action.rejected", target: a.id });
    expect(events[0]!.reason).toBe("not this one");
  });

  it("approving with edited arguments: the agent receives approvedArguments; the approval binds to their SHA-256", async () => {
    const agent = await seedAgent();
    await seedRule(agent, { name: "ask", action: "payments.*", effect: "require_approval" });
    const a = (await ask(agent.key, refund)).body;
    const edited = { order: 123, amount: 30 };
    await approve(agent, a.id, await operator(agent.workspace.slug), { editedArguments: edited });
    const seen = (await read(agent.key, a.id)).body;
    expect(seen).toMatchObject({ status: "allowed", arguments: refund.arguments, approvedArguments: edited });
    const [event] = await auditEvents({ workspaceId: agent.workspace.id, action: "action.approved", target: a.id });
    expect(event!.details).toMatchObject({ argumentsSha256: argumentsSha256(edited), argumentsEdited: true });
  });

  it("the long-poll: a waiter is answered within a second of the approval; without a decision it answers pending after N seconds", async () => {
    const agent = await seedAgent();
    await seedRule(agent, { name: "ask", action: "payments.*", effect: "require_approval" });
    const a = (await ask(agent.key, refund)).body;
    const started = Date.now();
    const still = await read(agent.key, a.id, 1);
    expect(still.body.status).toBe("pending_approval");
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);

    const waiting = read(agent.key, a.id, 20).then((r) => ({ ...r, at: Date.now() }));
    await new Promise((r) => setTimeout(r, 300));
    const who = await operator(agent.workspace.slug);
    // Decided the way another instance would: straight in the database's transaction, no in-process wake-up.
    await getDb().$transaction(async (tx) => {
      await tx.action.update({ where: { id: a.id }, data: { status: "rejected", expiresAt: null } });
    });
    const decidedAt = Date.now();
    const answer = await waiting;
    expect(answer.body.status).toBe("rejected");
    expect(answer.at - decidedAt).toBeLessThan(1000);
    void who;
  });

  it("200 waiters on a pool of 10 connections hold none of them: other agent calls are answered while all 200 wait", async () => {
    expect(getPool().options.max).toBe(10);
    const agent = await seedAgent();
    await seedRule(agent, { name: "ask", action: "payments.*", effect: "require_approval" });
    const ids: string[] = [];
    for (let i = 0; i < 20; i++) ids.push((await ask(agent.key, refund)).body.id);
    let answered = 0;
    const waiters = Array.from({ length: 200 }, (_, i) =>
      read(agent.key, ids[i % ids.length]!, 30).then((r) => {
        answered++;
        return r;
      }),
    );
    while (actionWaiterCount() < 200) await new Promise((r) => setTimeout(r, 20));

    const latencies: number[] = [];
    for (let i = 0; i < 20; i++) {
      const started = performance.now();
      const put = await call(
        putKvRoute,
        "PUT",
        `/api/v1/kv/billing.runs/while-waiting-${i}`,
        agent.key,
        { value: i },
        {},
        {
          namespace: "billing.runs",
          key: `while-waiting-${i}`,
        },
      );
      latencies.push(performance.now() - started);
      expect(put.status).toBe(201);
    }
    expect(answered).toBe(0); // every normal call was answered while all 200 still waited
    expect(getPool().totalCount).toBeLessThanOrEqual(10);
    latencies.sort((a, b) => a - b);
    console.log(
      `[actions] a PUT while 200 agents wait on a pool of 10: median ${latencies[10]!.toFixed(1)} ms, max ${latencies[19]!.toFixed(1)} ms`,
    );

    // Decided as another instance would (no in-process wake-up): the poller answers every waiter.
    await getDb().action.updateMany({ where: { id: { in: ids } }, data: { status: "rejected", expiresAt: null } });
    const t0 = Date.now();
    const answers = await Promise.all(waiters);
    console.log("[actions] answered after", Date.now() - t0, "ms; waiting", actionWaiterCount());
    expect(answers.every((a) => a.status === 200 && a.body.status === "rejected")).toBe(true);
    expect(actionWaiterCount()).toBe(0);
  }, 60_000);

  it("wait must be 0–30", async () => {
    const agent = await seedAgent();
    for (const wait of ["31", "-1", "x", "1.5"]) {
      const r = await call(
        getRoute,
        "GET",
        `/api/v1/actions/act_0000000000000000?wait=${wait}`,
        agent.key,
        undefined,
        {},
        { id: "act_0000000000000000" },
      );
      expect(r.status, wait).toBe(400);
    }
  });
});

describe("deadlines", () => {
  it("a pending approval past its timeout expires; an allowed action past its completion timeout times out, settled at the estimate", async () => {
    const agent = await seedAgent();
    await seedRule(agent, {
      name: "ask",
      action: "payments.*",
      effect: "require_approval",
      approvalTimeoutSeconds: 60,
    });
    await seedRule(agent, { name: "mail", action: "email.*", effect: "allow", completionTimeoutSeconds: 60 });
    const pending = (await ask(agent.key, refund)).body;
    const allowed = (await ask(agent.key, { action: "email.send", estimate: { usd: 0.25, tokens: 10 } })).body;
    const early = await runActionDeadlines({ workspaceId: agent.workspace.id, now: new Date(Date.now() + 59_000) });
    expect(early.expired).toEqual([]);
    const late = await runActionDeadlines({ workspaceId: agent.workspace.id, now: new Date(Date.now() + 61_000) });
    expect(late.expired).toEqual([pending.id]);
    expect(late.timedOut).toEqual([allowed.id]);
    expect((await read(agent.key, pending.id)).body.status).toBe("expired");
    expect((await read(agent.key, allowed.id)).body).toMatchObject({
      status: "timed_out",
      actual: { usd: 0.25, tokens: 10 },
    });
    expect(
      await auditEvents({ workspaceId: agent.workspace.id, action: "action.expired", target: pending.id }),
    ).toHaveLength(1);
  });

  it("at half its timeout a pending request goes to the second tier, once", async () => {
    const agent = await seedAgent();
    await getDb().workflowClass.update({
      where: { id: agent.workflowClass.id },
      data: { webhookUrl: "http://127.0.0.1:9/first", webhookUrlTier2: "http://127.0.0.1:9/second" },
    });
    await seedRule(agent, {
      name: "ask",
      action: "payments.*",
      effect: "require_approval",
      approvalTimeoutSeconds: 100,
    });
    const a = (await ask(agent.key, refund)).body;
    expect(
      await getDb().webhookDelivery.findMany({
        where: { actionId: a.id },
        select: { tier: true, event: true, url: true },
      }),
    ).toEqual([{ tier: 1, event: "approval.requested", url: "http://127.0.0.1:9/first" }]);
    await runActionDeadlines({ workspaceId: agent.workspace.id, now: new Date(Date.now() + 49_000) });
    const half = await runActionDeadlines({ workspaceId: agent.workspace.id, now: new Date(Date.now() + 51_000) });
    expect(half.secondTier).toEqual([a.id]);
    const again = await runActionDeadlines({ workspaceId: agent.workspace.id, now: new Date(Date.now() + 60_000) });
    expect(again.secondTier).toEqual([]);
    const tier2 = await getDb().webhookDelivery.findMany({ where: { actionId: a.id, tier: 2 } });
    expect(tier2.map((d) => d.url)).toEqual(["http://127.0.0.1:9/second"]);
  });

  it("a task's heartbeat timeout is suspended while one of its actions is pending approval, and restarts when it is decided", async () => {
    const agent = await seedAgent();
    await seedRule(agent, { name: "ask", action: "payments.*", effect: "require_approval" });
    const task = (await call(createTaskRoute, "POST", "/api/v1/tasks", agent.key, { namespace: "billing.runs" })).body;
    await call(
      taskEventRoute,
      "POST",
      `/api/v1/tasks/${task.id}/events`,
      agent.key,
      { type: "started" },
      {},
      { id: task.id },
    );
    const a = (await ask(agent.key, { ...refund, taskId: task.id })).body;
    const later = new Date(Date.now() + 3600_000); // far past the class's 300 s heartbeat timeout
    const suspended = await failSilentTasks(later);
    expect(suspended.failed).not.toContain(task.id);
    await approve(agent, a.id, await operator(agent.workspace.slug));
    const t = await getDb().task.findUniqueOrThrow({ where: { id: task.id } });
    expect(t.status).toBe("running");
    expect(Date.now() - t.heartbeatAt!.getTime()).toBeLessThan(10_000);
  });
});
