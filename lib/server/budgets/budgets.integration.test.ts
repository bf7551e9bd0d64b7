import pg from "pg";
import { describe, expect, it } from "vitest";
import { GET as policyRoute } from "@/app/api/v1/policy/route";
import { GET as getRoute, PUT as putRoute } from "@/app/api/v1/kv/[namespace]/[key]/route";
import { nextDailyReset } from "@/lib/core/calendar";
import { hashKey } from "@/lib/core/keys";
import { agentRequest, seedAgent } from "@/tests/agent-fixtures";
import { auditEvents, testActor } from "@/tests/fixtures";
import { issueCredential } from "../credentials/issue-credential";
import { updateWorkspace } from "../workspaces/update-workspace";
import { loadPrincipal } from "../agent-api/authenticate";
import { poolSql } from "../db";
import { expressHeld } from "./express-hold";
import { chargeCall } from "./usage";

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const noParams = { params: Promise.resolve({}) };

async function put(key: string, name: string, headers: Record<string, string> = {}) {
  const response = await putRoute(
    agentRequest(`/api/v1/kv/billing.runs/${name}`, key, {
      method: "PUT",
      body: JSON.stringify({ value: name }),
      headers,
    }),
    noParams,
  );
  return { status: response.status, headers: response.headers, body: (await response.json()) as Json };
}
async function policy(key: string) {
  return (await (await policyRoute(agentRequest("/api/v1/policy", key), noParams)).json()) as Json;
}

describe("budgets — exact under concurrency", () => {
  it("a daily limit of 30 with 90 concurrent calls accepts exactly 30; the rest get 429 with the stop message and reset", async () => {
    const agent = await seedAgent();
    await updateWorkspace({
      slug: agent.workspace.slug,
      actor: testActor,
      settings: { dailyRequestLimit: 30, stopMessage: "Budget spent: back at midnight UTC." },
    });
    const results = await Promise.all(Array.from({ length: 90 }, (_, i) => put(agent.key, `k-${i}`)));
    const accepted = results.filter((r) => r.status === 201);
    const refused = results.filter((r) => r.status === 429);
    expect(accepted).toHaveLength(30);
    expect(refused).toHaveLength(60);
    expect(refused[0]!.body.error).toMatchObject({
      code: "budget_exhausted",
      message: "Budget spent: back at midnight UTC.",
      details: { resetAt: expect.any(String) },
    });
    expect(Number(refused[0]!.headers.get("Retry-After"))).toBeGreaterThan(0);
    expect(refused[0]!.headers.get("X-Guardrail-Mode")).toBe("stopped");
    const p = await policy(agent.key);
    expect(p).toMatchObject({ mode: "stopped", limits: { requests: { limit: 30, used: 30, remaining: 0 } } });
    expect(await auditEvents({ workspaceId: agent.workspace.id, action: "budget.stopped" })).toHaveLength(1);
  });

  it("a key's daily write ceiling of 10 with 30 concurrent writes accepts exactly 10", async () => {
    const agent = await seedAgent();
    const key = (
      await issueCredential({
        workspaceId: agent.workspace.id,
        actor: testActor,
        identityId: agent.identity.id,
        dailyWriteCeiling: 10,
      })
    ).key;
    const results = await Promise.all(Array.from({ length: 30 }, (_, i) => put(key, `w-${i}`)));
    expect(results.filter((r) => r.status === 201)).toHaveLength(10);
    const refused = results.filter((r) => r.status === 429);
    expect(refused).toHaveLength(20);
    expect(refused[0]!.body.error.code).toBe("write_ceiling_reached");
    // Refused writes did not use the workspace's request budget either.
    expect((await policy(key)).limits).toMatchObject({
      requests: { used: 10 },
      writes: { limit: 10, used: 10, remaining: 0 },
    });
  });
});

describe("budgets — modes", () => {
  it("crossing the degrade threshold sets the header and sheds X-Priority: low, audited once", async () => {
    const agent = await seedAgent();
    await updateWorkspace({
      slug: agent.workspace.slug,
      actor: testActor,
      settings: { dailyRequestLimit: 10, degradeAtPercent: 50 },
    });
    for (let i = 0; i < 4; i++) expect((await put(agent.key, `d-${i}`)).headers.get("X-Guardrail-Mode")).toBe("normal");
    expect(expressHeld(hashKey(agent.key))).toBe(false);
    expect((await put(agent.key, "d-4")).headers.get("X-Guardrail-Mode")).toBe("degraded");
    // Its next writes go straight to the general path (the one statement would write and roll back).
    expect(expressHeld(hashKey(agent.key))).toBe(true);
    const low = await put(agent.key, "d-low", { "X-Priority": "low" });
    expect(low.status).toBe(429);
    expect(low.body.error.code).toBe("degraded_low_priority");
    expect((await put(agent.key, "d-normal")).status).toBe(201);
    expect((await policy(agent.key)).limits.requests.used).toBe(6);
    expect(await auditEvents({ workspaceId: agent.workspace.id, action: "budget.degraded" })).toMatchObject([
      { actorType: "system" },
    ]);
  });

  it("the kill switch refuses at once with the admin's message and no Retry-After; off, traffic resumes", async () => {
    const agent = await seedAgent();
    await updateWorkspace({
      slug: agent.workspace.slug,
      actor: testActor,
      settings: { killSwitch: true, stopMessage: "Incident 7: paused." },
    });
    const stopped = await put(agent.key, "ks");
    expect(stopped.status).toBe(429);
    expect(stopped.body.error).toMatchObject({ code: "budget_exhausted", message: "Incident 7: paused." });
    expect(stopped.headers.get("Retry-After")).toBeNull();
    await updateWorkspace({ slug: agent.workspace.slug, actor: testActor, settings: { killSwitch: false } });
    expect((await put(agent.key, "ks")).status).toBe(201);
  });
});

describe("budgets — counting rules", () => {
  it("refused calls and idempotent replays do not count; GET /policy never counts", async () => {
    const agent = await seedAgent([{ pattern: "billing.*", access: "readwrite" }], {
      namespaces: ["billing.runs", "hr.x"],
    });
    await put(agent.key, "once", { "Idempotency-Key": "op-1" });
    await put(agent.key, "once", { "Idempotency-Key": "op-1" });
    await getRoute(agentRequest("/api/v1/kv/billing.runs/missing", agent.key), noParams); // 404
    await getRoute(agentRequest("/api/v1/kv/hr.x/secret", agent.key), noParams); // 403
    await put(agent.key, "bad", { "If-Match": '"9"' }); // 412
    await policy(agent.key);
    const p = await policy(agent.key);
    expect(p.limits.requests.used).toBe(1);
    expect(p.limits.writes.used).toBe(1);
  });

  it("resets at midnight in the workspace's time zone", async () => {
    const agent = await seedAgent();
    await updateWorkspace({
      slug: agent.workspace.slug,
      actor: testActor,
      settings: { dailyRequestLimit: 2, timeZone: "Asia/Tokyo" },
    });
    const principal = (await loadPrincipal(hashKey(agent.key)))!;
    const evening = new Date("2026-11-25T14:30:00Z"); // 23:30 in Tokyo
    await chargeCall(principal, { writes: false, priority: "normal", now: evening });
    await chargeCall(principal, { writes: false, priority: "normal", now: evening });
    await expect(chargeCall(principal, { writes: false, priority: "normal", now: evening })).rejects.toMatchObject({
      code: "budget_exhausted",
    });
    const midnight = nextDailyReset(evening, "Asia/Tokyo");
    expect(midnight).toEqual(new Date("2026-11-25T15:00:00Z"));
    const next = await chargeCall(principal, { writes: false, priority: "normal", now: midnight });
    expect(next.usage.requests).toMatchObject({ used: 1, remaining: 1 });
  });

  it("records entering degraded mode once, with its audit event: an event that could not be written is retried", async () => {
    const agent = await seedAgent();
    await updateWorkspace({
      slug: agent.workspace.slug,
      actor: testActor,
      settings: { dailyRequestLimit: 10, degradeAtPercent: 50 },
    });
    const principal = (await loadPrincipal(hashKey(agent.key)))!;
    const now = new Date();
    for (let i = 0; i < 4; i++) await chargeCall(principal, { writes: false, priority: "normal", now });
    const modeRows = async () =>
      (
        await poolSql().query<{ n: string }>(`SELECT count(*) AS n FROM usage_mode_change WHERE workspace_id = $1`, [
          agent.workspace.id,
        ])
      )[0]!.n;
    // The audit trail refuses the event (as a full disk or a lost connection would).
    const owner = new pg.Client({ connectionString: process.env.TEST_DATABASE_OWNER_URL });
    await owner.connect();
    // In a schema of its own: the database's own functions are exactly prisma/sql's (database-functions test).
    const trigger = `test_faults.refuse_degraded_${agent.workspace.id.replace(/[^a-z0-9]/g, "")}`;
    const name = trigger.split(".")[1]!;
    try {
      await owner.query(`CREATE SCHEMA IF NOT EXISTS test_faults`);
      await owner.query(`CREATE FUNCTION ${trigger}() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN IF NEW.workspace_id = '${agent.workspace.id}' THEN RAISE EXCEPTION 'audit write lost'; END IF; RETURN NEW; END $$`);
      await owner.query(
        `CREATE TRIGGER ${name} BEFORE INSERT ON audit_event FOR EACH ROW EXECUTE FUNCTION ${trigger}()`,
      );
      const degraded = await chargeCall(principal, { writes: false, priority: "normal", now });
      expect(degraded.usage.mode).toBe("degraded"); // the call itself is decided
      expect(await modeRows()).toBe("0"); // no row without its event
    } finally {
      await owner.query(`DROP TRIGGER IF EXISTS ${name} ON audit_event`);
      await owner.query(`DROP FUNCTION IF EXISTS ${trigger}()`);
      await owner.end();
    }
    await chargeCall(principal, { writes: false, priority: "normal", now });
    await chargeCall(principal, { writes: false, priority: "normal", now });
    expect(await modeRows()).toBe("1");
    expect(await auditEvents({ workspaceId: agent.workspace.id, action: "budget.degraded" })).toHaveLength(1);
  });
});
