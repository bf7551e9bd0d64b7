import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { POST as cancelRoute } from "@/app/api/v1/actions/[id]/cancel/route";
import { POST as completeRoute } from "@/app/api/v1/actions/[id]/complete/route";
import { POST as requestRoute } from "@/app/api/v1/actions/route";
import { GET as policyRoute } from "@/app/api/v1/policy/route";
import { callRoute, requestTestAction, seedAgent, seedRule } from "@/tests/agent-fixtures";
import { auditEvents, testActor } from "@/tests/fixtures";
import { completeAction } from "../actions/change-action";
import { getDb, pgTransaction, poolSql } from "../db";
import { runActionDeadlines } from "../jobs/action-deadlines";
import { updateWorkspace } from "../workspaces/update-workspace";
import { resize } from "./counters";
import { setSpendLimits, type SpendLimitChange } from "./spend-limits";

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const call = (
  route: Parameters<typeof callRoute>[0],
  method: string,
  path: string,
  key: string,
  body?: unknown,
  params = {},
  headers = {},
) => callRoute(route, method, path, key, body, headers, params);
const ask = (key: string, usd: number | undefined, extra: Json = {}, headers: Record<string, string> = {}) =>
  call(
    requestRoute,
    "POST",
    "/api/v1/actions",
    key,
    { action: "llm.chat", ...(usd === undefined ? {} : { estimate: { usd } }), ...extra },
    {},
    headers,
  );
const complete = (key: string, id: string, body: unknown) =>
  call(completeRoute, "POST", `/api/v1/actions/${id}/complete`, key, body, { id });
const cancel = (key: string, id: string) =>
  call(cancelRoute, "POST", `/api/v1/actions/${id}/cancel`, key, undefined, { id });
const policy = async (key: string) => (await call(policyRoute, "GET", "/api/v1/policy", key)).body.limits.spend as Json;

/** An agent whose workspace allows `llm.*` and pays for approvals of `payments.*`, with spend limits. */
async function spender(changes: (ids: { classId: string; credentialId: string }) => SpendLimitChange[]) {
  const agent = await seedAgent();
  await seedRule(agent, { name: "approve-payments", action: "payments.*", effect: "require_approval" });
  await seedRule(agent, { name: "models", action: "llm.*", effect: "allow" });
  await setSpendLimits({
    workspaceId: agent.workspace.id,
    actor: testActor,
    changes: changes({ classId: agent.workflowClass.id, credentialId: agent.credential.id }),
  });
  return agent;
}
const usd = (n: string) => BigInt(Math.round(Number(n) * 1e6)); // test literals only: short decimals

async function spendDayOf(actionId: string): Promise<string> {
  const a = await getDb().action.findUniqueOrThrow({ where: { id: actionId }, select: { spendDay: true } });
  return a.spendDay.toISOString().slice(0, 10);
}

/** What the counters of a scope hold today (spent + reserved), in micro-dollars. */
async function counted(scopeId: string): Promise<bigint> {
  const [row] = await poolSql().query<{ n: string }>(
    `SELECT COALESCE(sum(used), 0)::text AS n FROM usage_slot WHERE scope_id = $1`,
    [scopeId],
  );
  return BigInt(row!.n);
}

describe("spend budgets: reservations at POST /actions", () => {
  it("200 concurrent reservations of $0.37 under $50.00 admit exactly 135 ($49.95); settling half at $0.10 frees exactly the difference", async () => {
    const agent = await spender(() => [{ budget: "workspace.daily_usd", limit: usd("50") }]);
    const answers = await Promise.all(Array.from({ length: 200 }, () => ask(agent.key, 0.37)));
    const admitted = answers.filter((a) => a.status === 201);
    expect(admitted).toHaveLength(135);
    const refused = answers.filter((a) => a.status === 429);
    expect(refused).toHaveLength(65);
    expect(refused[0]!.body.error).toMatchObject({
      code: "spend_budget_exhausted",
      details: { budget: "workspace.daily_usd", remaining: 0.05 },
    });
    expect(Number(refused[0]!.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(await counted(`${agent.workspace.id}:usd`)).toBe(49_950_000n);
    expect((await policy(agent.key)).usd.daily).toMatchObject({
      limit: 50,
      spent: 0,
      reserved: 49.95,
      remaining: 0.05,
    });
    // Nothing refused was kept: 135 actions, all allowed.
    expect(await getDb().action.count({ where: { workspaceId: agent.workspace.id } })).toBe(135);

    const half = admitted.slice(0, 67);
    for (const a of half)
      expect((await complete(agent.key, a.body.id, { outcome: "succeeded", actual: { usd: 0.1 } })).status).toBe(200);
    // 67 × ($0.37 − $0.10) = $18.09 freed: $18.14 left, to the cent.
    expect((await policy(agent.key)).usd.daily).toMatchObject({ spent: 6.7, reserved: 25.16, remaining: 18.14 });
    expect((await ask(agent.key, 18.15)).status).toBe(429);
    expect((await ask(agent.key, 18.14)).status).toBe(201);
    expect((await ask(agent.key, 0.000001)).status).toBe(429);
    expect(await counted(`${agent.workspace.id}:usd`)).toBe(50_000_000n);
  });

  it("daily and monthly limits both apply (the tighter wins); the class's and the key's apply with them, all or none", async () => {
    const agent = await spender(({ classId, credentialId }) => [
      { budget: "workspace.daily_usd", limit: usd("50") },
      { budget: "workspace.monthly_usd", limit: usd("30") },
      { budget: "class.daily_usd", classId, limit: usd("20") },
      { budget: "credential.daily_usd", credentialId, limit: usd("10") },
    ]);
    expect((await ask(agent.key, 8)).status).toBe(201);
    const byKey = await ask(agent.key, 3);
    expect(byKey.status).toBe(429);
    expect(byKey.body.error.details).toMatchObject({ budget: "credential.daily_usd", remaining: 2 });
    // The refusal is audited (denied), with what the agent was told.
    const [refusal] = await auditEvents({ workspaceId: agent.workspace.id, action: "action.request" });
    expect(refusal).toMatchObject({ outcome: "denied", details: { code: "spend_budget_exhausted" } });
    expect((refusal!.details as Json).message).toMatch(/key's daily USD budget: \$2 left/);
    // The key's refusal left nothing reserved in the budgets before it in lock order.
    for (const scope of [
      `${agent.workspace.id}:usd`,
      `${agent.workspace.id}:usd_month`,
      `${agent.workflowClass.id}:usd`,
    ])
      expect(await counted(scope)).toBe(8_000_000n);

    await setSpendLimits({
      workspaceId: agent.workspace.id,
      actor: testActor,
      changes: [
        { budget: "credential.daily_usd", credentialId: agent.credential.id, limit: null },
        { budget: "workspace.monthly_usd", limit: usd("12") },
      ],
    });
    const byMonth = await ask(agent.key, 5);
    expect(byMonth.body.error.details).toMatchObject({ budget: "workspace.monthly_usd", remaining: 4 });
    expect(new Date(byMonth.body.error.details.resetAt).getUTCDate()).toBe(1);
    expect((await ask(agent.key, 4)).status).toBe(201);

    const spend = await policy(agent.key);
    expect(spend.usd.monthly).toMatchObject({ limit: 12, reserved: 12, remaining: 0 });
    expect(spend.class.usd.daily).toMatchObject({ limit: 20, reserved: 12, remaining: 8 });
    expect(spend.credential.usd.daily).toMatchObject({ limit: null, reserved: 12, remaining: null });
    expect(spend.tokens.daily).toMatchObject({ limit: null, spent: 0, reserved: 0 });
  });

  it("tokens are a budget of their own: an estimate's tokens are reserved, and the actual's settled", async () => {
    const agent = await spender(() => [{ budget: "workspace.daily_tokens", limit: 1000n }]);
    const first = await ask(agent.key, 0.01, { estimate: { usd: 0.01, tokens: 800 } });
    expect(first.status).toBe(201);
    const second = await ask(agent.key, 0.01, { estimate: { usd: 0.01, tokens: 300 } });
    expect(second.body.error.details).toMatchObject({ budget: "workspace.daily_tokens", remaining: 200 });
    await complete(agent.key, first.body.id, { outcome: "succeeded", actual: { usd: 0.004, tokens: 512 } });
    expect((await policy(agent.key)).tokens.daily).toMatchObject({
      limit: 1000,
      spent: 512,
      reserved: 0,
      remaining: 488,
    });
    expect((await ask(agent.key, 0.01, { estimate: { usd: 0.01, tokens: 488 } })).status).toBe(201);
  });

  it("an overrun is charged in full, flagged and audited; the next reservation that does not fit is refused", async () => {
    const agent = await spender(() => [{ budget: "workspace.daily_usd", limit: usd("10") }]);
    const action = await ask(agent.key, 4);
    const done = await complete(agent.key, action.body.id, { outcome: "succeeded", actual: { usd: 11.5 } });
    expect(done.body).toMatchObject({ status: "succeeded", actual: { usd: 11.5 }, overrun: true });
    const events = await auditEvents({ workspaceId: agent.workspace.id, action: "action.succeeded" });
    expect(events.at(-1)?.details).toMatchObject({ overrun: true });
    expect((await policy(agent.key)).usd.daily).toMatchObject({ spent: 11.5, reserved: 0, remaining: 0 });
    // Past the limit nothing fits, not even an action without an estimate.
    expect((await ask(agent.key, 0.000001)).status).toBe(429);
    expect((await ask(agent.key, undefined)).status).toBe(429);
    // Raised to $20, what is left is exactly $20 − $11.50.
    await setSpendLimits({
      workspaceId: agent.workspace.id,
      actor: testActor,
      changes: [{ budget: "workspace.daily_usd", limit: usd("20") }],
    });
    expect((await ask(agent.key, 8.51)).status).toBe(429);
    expect((await ask(agent.key, 8.5)).status).toBe(201);
  });

  it("releases on cancel, on rejection and when an approval expires; a timed-out action is charged its estimate", async () => {
    const agent = await spender(() => [{ budget: "workspace.daily_usd", limit: usd("100") }]);
    const cancelled = await ask(agent.key, 10);
    expect((await cancel(agent.key, cancelled.body.id)).body.status).toBe("cancelled");
    const pending = await ask(agent.key, 20, { action: "payments.refund" });
    expect(pending.status).toBe(202);
    const timedOut = await ask(agent.key, 30);
    expect((await policy(agent.key)).usd.daily).toMatchObject({ spent: 0, reserved: 50 });

    const later = new Date(Date.now() + 2 * 3_600_000);
    const swept = await runActionDeadlines({ now: later, workspaceId: agent.workspace.id });
    expect(swept.expired).toEqual([pending.body.id]);
    expect(swept.timedOut).toEqual([timedOut.body.id]);
    // The expired approval's $20 released, the timed-out action's $30 spent (the agent may have spent it).
    expect((await policy(agent.key)).usd.daily).toMatchObject({ spent: 30, reserved: 0, remaining: 70 });
    expect(await counted(`${agent.workspace.id}:usd`)).toBe(30_000_000n);
  });

  it("money is exact: $0.10 + $0.20 fills a $0.30 limit; 7 decimals are refused; 90 % of the limit fits an empty budget; limits up to $1,000,000,000", async () => {
    const agent = await spender(() => [{ budget: "workspace.daily_usd", limit: usd("0.3") }]);
    expect((await ask(agent.key, 0.1)).status).toBe(201);
    expect((await ask(agent.key, 0.2)).status).toBe(201);
    expect((await ask(agent.key, 0.000001)).status).toBe(429);
    const precise = await ask(agent.key, 0.1234567);
    expect(precise.status).toBe(422);

    // One estimate of 90 % of the limit, far above a slot's share (limit / 16), on an empty budget.
    const big = await spender(() => [{ budget: "workspace.daily_usd", limit: usd("50") }]);
    expect((await ask(big.key, 45)).status).toBe(201);
    expect((await ask(big.key, 5.000001)).status).toBe(429);
    expect((await ask(big.key, 5)).status).toBe(201);

    const huge = await spender(() => [{ budget: "workspace.daily_usd", limit: 1_000_000_000_000_000n }]);
    expect((await ask(huge.key, 999_999_999.99)).status).toBe(201);
    expect((await policy(huge.key)).usd.daily).toMatchObject({
      limit: 1_000_000_000,
      reserved: 999_999_999.99,
      remaining: 0.01,
    });
    expect((await ask(huge.key, 0.02)).status).toBe(429);
  });

  it("degraded at the workspace's threshold: low-priority actions are shed, others go on; audited once per budget and day", async () => {
    const agent = await spender(() => [{ budget: "workspace.daily_usd", limit: usd("10") }]);
    await updateWorkspace({ slug: agent.workspace.slug, actor: testActor, settings: { degradeAtPercent: 50 } });
    expect((await ask(agent.key, 5)).status).toBe(201);
    const shed = await ask(agent.key, 1, {}, { "X-Priority": "low" });
    expect(shed.status).toBe(429);
    expect(shed.body.error).toMatchObject({
      code: "degraded_low_priority",
      details: { budget: "workspace.daily_usd" },
    });
    expect((await ask(agent.key, 1)).status).toBe(201);
    expect((await ask(agent.key, 1)).status).toBe(201);
    expect((await ask(agent.key, 4)).status).toBe(429);
    expect((await ask(agent.key, 4)).status).toBe(429);
    // Noted on a connection of their own, after the call: once each however many calls saw it.
    const noted = async (action: string) => (await auditEvents({ workspaceId: agent.workspace.id, action })).length;
    await expect.poll(() => noted("budget.spend_degraded")).toBe(1);
    await expect.poll(() => noted("budget.spend_exhausted")).toBe(1);
    expect(await noted("budget.spend_degraded")).toBe(1);
    // Spend exhaustion is not the request budget's "stopped": the workspace's other calls go on.
    const p = await call(policyRoute, "GET", "/api/v1/policy", agent.key);
    expect(p.body.mode).toBe("normal");
  });

  it("the one-statement path reserves as the general path does, and leaves a refusal or a degraded budget to it", async () => {
    const agent = await spender(() => [{ budget: "workspace.daily_usd", limit: usd("10") }]);
    // The first call loads the key; the next ones take the one-statement path.
    for (let i = 0; i < 7; i++) expect((await ask(agent.key, 1)).status).toBe(201);
    const stored = await getDb().action.findMany({
      where: { workspaceId: agent.workspace.id },
      select: { spendScopes: true, spendSlots: true },
    });
    // Only the limited budget is reserved in (a budget without a limit costs nothing).
    for (const a of stored) {
      expect(a.spendScopes).toEqual([`${agent.workspace.id}:usd`]);
      expect(a.spendSlots).toHaveLength(1);
    }
    expect(await counted(`${agent.workspace.id}:usd`)).toBe(7_000_000n);
    expect((await ask(agent.key, 3.5)).body.error.details).toMatchObject({
      budget: "workspace.daily_usd",
      remaining: 3,
    });
    expect(await counted(`${agent.workspace.id}:usd`)).toBe(7_000_000n);
  });
});

describe("spend limits changed while agents run", () => {
  it("a limit set during the day counts what the day has spent and holds, and settles the actions still open", async () => {
    const agent = await spender(() => []);
    const settled = await ask(agent.key, 3);
    await complete(agent.key, settled.body.id, { outcome: "succeeded", actual: { usd: 2.5 } });
    const open = await ask(agent.key, 4);
    const pending = await ask(agent.key, 5, { action: "payments.refund" });
    expect(pending.status).toBe(202);
    // Nothing was reserved: no budget had a limit.
    expect(await counted(`${agent.workspace.id}:usd`)).toBe(0n);

    await setSpendLimits({
      workspaceId: agent.workspace.id,
      actor: testActor,
      changes: [{ budget: "workspace.daily_usd", limit: usd("20") }],
    });
    // $2.50 spent + $4 + $5 held: $8.50 left, exactly.
    expect(await counted(`${agent.workspace.id}:usd`)).toBe(11_500_000n);
    expect((await ask(agent.key, 8.51)).status).toBe(429);
    // The open actions settle into the new counters: the pending one released, the allowed one at its actual.
    expect((await cancel(agent.key, pending.body.id)).status).toBe(200);
    expect((await complete(agent.key, open.body.id, { outcome: "succeeded", actual: { usd: 1 } })).status).toBe(200);
    expect(await counted(`${agent.workspace.id}:usd`)).toBe(3_500_000n);
    expect((await policy(agent.key)).usd.daily).toMatchObject({ spent: 3.5, reserved: 0, remaining: 16.5 });
    expect((await ask(agent.key, 16.5)).status).toBe(201);

    // Cleared, then set again the same day: counted afresh (what was reserved meanwhile is not lost).
    await setSpendLimits({
      workspaceId: agent.workspace.id,
      actor: testActor,
      changes: [{ budget: "workspace.daily_usd", limit: null }],
    });
    const meanwhile = await ask(agent.key, 7);
    expect(meanwhile.status).toBe(201);
    await setSpendLimits({
      workspaceId: agent.workspace.id,
      actor: testActor,
      changes: [{ budget: "workspace.daily_usd", limit: usd("30") }],
    });
    expect(await counted(`${agent.workspace.id}:usd`)).toBe(27_000_000n);
    expect((await ask(agent.key, 3.01)).status).toBe(429);
    expect((await cancel(agent.key, meanwhile.body.id)).status).toBe(200);
    expect((await ask(agent.key, 10)).status).toBe(201);
    expect((await ask(agent.key, 0.01)).status).toBe(429);
  });

  it("a limit set while reservations run: none is missed, none is counted twice", async () => {
    const agent = await spender(() => []);
    const during = Promise.all(Array.from({ length: 60 }, () => ask(agent.key, 0.5)));
    await new Promise((r) => setTimeout(r, 20));
    await setSpendLimits({
      workspaceId: agent.workspace.id,
      actor: testActor,
      changes: [{ budget: "workspace.daily_usd", limit: usd("1000") }],
    });
    const answers = await during;
    expect(answers.every((a) => a.status === 201)).toBe(true);
    // Every admitted $0.50 is in the counters, whether it was reserved before the limit (and counted
    // by the recount) or after it.
    expect(await counted(`${agent.workspace.id}:usd`)).toBe(30_000_000n);
    expect((await policy(agent.key)).usd.daily).toMatchObject({ reserved: 30, remaining: 970 });
  });

  it("apply from the very next request, on the one-statement path too (a class's limit changes the principal's stamp)", async () => {
    const agent = await spender(() => []);
    for (let i = 0; i < 3; i++) expect((await ask(agent.key, 1)).status).toBe(201);
    const version = async () =>
      (await getDb().workspace.findUniqueOrThrow({ where: { id: agent.workspace.id } })).actionRulesVersion;
    const before = await version();
    await setSpendLimits({
      workspaceId: agent.workspace.id,
      actor: testActor,
      changes: [{ budget: "class.daily_usd", classId: agent.workflowClass.id, limit: usd("4") }],
    });
    expect(await version()).toBe(before + 1);
    expect((await ask(agent.key, 1)).status).toBe(201);
    const refused = await ask(agent.key, 1);
    expect(refused.body.error.details).toMatchObject({ budget: "class.daily_usd", remaining: 0 });
    // Lowered below what the day holds: nothing more fits; cleared: unlimited again.
    await setSpendLimits({
      workspaceId: agent.workspace.id,
      actor: testActor,
      changes: [{ budget: "class.daily_usd", classId: agent.workflowClass.id, limit: usd("1") }],
    });
    expect((await ask(agent.key, 0.01)).status).toBe(429);
    await setSpendLimits({
      workspaceId: agent.workspace.id,
      actor: testActor,
      changes: [{ budget: "class.daily_usd", classId: agent.workflowClass.id, limit: null }],
    });
    expect((await ask(agent.key, 1000)).status).toBe(201);
    const events = await auditEvents({ workspaceId: agent.workspace.id, action: "budget.spend_limits_changed" });
    expect(events.map((e) => (e.details as Json).changes[0])).toEqual([
      { budget: "class.daily_usd", scope: "invoices", from: null, to: 4 },
      { budget: "class.daily_usd", scope: "invoices", from: 4, to: 1 },
      { budget: "class.daily_usd", scope: "invoices", from: 1, to: null },
    ]);
  });
});

describe("spend budgets: days and months in the workspace's time zone", () => {
  it("rolls over at local midnight in America/Los_Angeles across the DST change, and settles in the day and month reserved", async () => {
    const agent = await spender(() => [
      { budget: "workspace.daily_usd", limit: usd("10") },
      { budget: "workspace.monthly_usd", limit: usd("15") },
    ]);
    await updateWorkspace({
      slug: agent.workspace.slug,
      actor: testActor,
      settings: { timeZone: "America/Los_Angeles" },
    });
    const body = (usdAmount: number) => ({ action: "llm.chat", estimate: { usd: usdAmount } });
    // 23:30 PDT on Saturday 31 October 2026; clocks go back at 02:00 on Sunday 1 November.
    const lastNight = new Date("2026-11-01T06:30:00Z");
    const late = await requestTestAction(agent, body(9), lastNight);
    expect(await spendDayOf(late.id)).toBe("2026-10-31");
    await expect(requestTestAction(agent, body(2), lastNight)).rejects.toMatchObject({
      code: "spend_budget_exhausted",
    });
    // 00:30 PDT on 1 November: a new day and a new month.
    const justAfter = new Date("2026-11-01T07:30:00Z");
    const early = await requestTestAction(agent, body(9), justAfter);
    expect(await spendDayOf(early.id)).toBe("2026-11-01");
    // Settled after midnight, the October action still counts in October's day and month.
    await getDb().$transaction((tx) =>
      completeAction(tx, {
        actionId: late.id,
        scope: { workspaceId: agent.workspace.id, workflowClassId: agent.workflowClass.id },
        body: { outcome: "succeeded", actual: { usd: 1 } },
        actor: testActor,
        reason: null,
        requestId: "req_test",
        now: justAfter,
      }),
    );
    const [oct, nov] = await Promise.all(
      ["2026-10-31", "2026-11-01"].map(async (day) =>
        BigInt(
          (
            await poolSql().query<{ n: string }>(
              `SELECT sum(used)::text AS n FROM usage_slot WHERE scope_id = $1 AND day = $2::date`,
              [`${agent.workspace.id}:usd`, day],
            )
          )[0]!.n,
        ),
      ),
    );
    expect(oct).toBe(1_000_000n);
    expect(nov).toBe(9_000_000n);
    // 25 hours later on the clock — the day after the change is 25 hours long — the day is new again.
    const nextDay = new Date("2026-11-02T08:00:00Z");
    expect(await spendDayOf((await requestTestAction(agent, body(6), nextDay)).id)).toBe("2026-11-02");
    // The month holds $9 + $6 of its $15: nothing more fits this month.
    await expect(requestTestAction(agent, body(0.01), nextDay)).rejects.toMatchObject({
      code: "spend_budget_exhausted",
      details: { budget: "workspace.monthly_usd", resetAt: "2026-12-01T08:00:00.000Z" },
    });
  });
});

describe("budget_lay_out: a limit changed during the period", () => {
  it("leaves exactly limit − used to take, whatever each slot has used, and caps that add up to the limit", async () => {
    const scope = `lay-out-${Math.random().toString(36).slice(2)}`;
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.bigInt({ min: 0n, max: 10n ** 12n }), { minLength: 16, maxLength: 16 }),
        fc.bigInt({ min: 0n, max: 10n ** 13n }),
        async (used, limit) => {
          const after = await pgTransaction(async (sql) => {
            await sql.query(`DELETE FROM usage_slot WHERE scope_id = $1`, [scope]);
            await sql.query(
              `INSERT INTO usage_slot (scope_id, day, slot, cap, used)
               SELECT $1, '2026-12-02', o.i - 1, o.u, o.u FROM unnest($2::bigint[]) WITH ORDINALITY AS o(u, i)`,
              [scope, used.map(String)],
            );
            await resize(sql, scope, "2026-12-02", limit, 16);
            return sql.query<{ cap: string; used: string }>(
              `SELECT cap::text, used::text FROM usage_slot WHERE scope_id = $1 ORDER BY slot`,
              [scope],
            );
          });
          const spent = used.reduce((a, b) => a + b, 0n);
          const room = after.reduce(
            (n, r) => n + (BigInt(r.cap) > BigInt(r.used) ? BigInt(r.cap) - BigInt(r.used) : 0n),
            0n,
          );
          expect(after.map((r) => BigInt(r.used))).toEqual(used);
          expect(after.reduce((n, r) => n + BigInt(r.cap), 0n)).toBe(limit);
          expect(room).toBe(spent >= limit ? 0n : limit - spent);
        },
      ),
      { numRuns: 40 },
    );
  });
});
