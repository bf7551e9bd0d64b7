import { describe, expect, it } from "vitest";
import { CREDENTIAL_SLOTS, degradeThreshold, WORKSPACE_SLOTS } from "@/lib/core/budget";
import { localDay } from "@/lib/core/calendar";
import { decideAccess } from "@/lib/core/grants";
import { hashKey } from "@/lib/core/keys";
import { seedAgent } from "@/tests/agent-fixtures";
import { testActor } from "@/tests/fixtures";
import { loadPrincipal, type AgentPrincipal } from "../agent-api/authenticate";
import { putKvExpress } from "../agent-api/kv-handlers";
import { resizeToday } from "../budgets/counters";
import { issueCredential } from "../credentials/issue-credential";
import { revokeCredential } from "../credentials/revoke-credential";
import { setIdentityGrants } from "../identities/set-identity-grants";
import { setIdentityStatus } from "../identities/set-identity-status";
import { createNamespace } from "../namespaces/create-namespace";
import { getPool, poolSql } from "../db";
import { updateWorkspace } from "../workspaces/update-workspace";

/**
 * The hot path (putKvExpress → agent_kv_put) against real PostgreSQL: it does the whole guarded
 * write or nothing at all, it acts only on a principal that is still what it was when loaded
 * (principal_stamp), and it leaves everything out of the ordinary to the general path (which
 * answers it, and is covered by the agent API's own tests).
 */

type Agent = Awaited<ReturnType<typeof seedAgent>>;

/** Today's counters laid out, as the general path does on a scope's first call of the day. */
async function layOut(scopeIds: string[], limit: number | null = null, now = new Date(), timeZone = "UTC") {
  for (const id of scopeIds) await resizeToday(id, localDay(now, timeZone), limit, WORKSPACE_SLOTS);
}

/** The principal a process would remember for this key: loaded now, as the general path loads it. */
async function remembered(key: string, now = new Date()): Promise<AgentPrincipal> {
  const principal = await loadPrincipal(hashKey(key), now);
  if (!principal) throw new Error("no such key");
  return principal;
}

async function attempt(
  key: string,
  name: string,
  options: {
    namespace?: string;
    now?: Date;
    idempotencyKey?: string;
    ifMatch?: number;
    principal?: AgentPrincipal;
    keyHash?: string;
  } = {},
) {
  const now = options.now ?? new Date();
  const namespace = options.namespace ?? "billing.runs";
  const headers = new Headers();
  if (options.ifMatch !== undefined) headers.set("if-match", `"${options.ifMatch}"`);
  const fast = await putKvExpress({
    request: {
      method: "PUT",
      url: `http://agents.test/api/v1/kv/${encodeURIComponent(namespace)}/${encodeURIComponent(name)}`,
      headers,
      body: null,
    },
    keyHash: options.keyHash ?? hashKey(key),
    principal: options.principal ?? (await remembered(key, now)),
    bodyText: JSON.stringify({ value: { name } }),
    now,
    requestId: `req-${name}`,
    correlationId: "corr-guarded",
    reason: null,
    idempotency: options.idempotencyKey
      ? { key: options.idempotencyKey, fingerprint: "fp", expiresAt: new Date(now.getTime() + 86_400_000) }
      : null,
  });
  if (!fast) return null;
  const { limit, remaining } = fast.budget.requests;
  return {
    status: fast.result.status,
    version: Number(fast.result.headers!.ETag!.slice(1, -1)),
    body: fast.result.rawBody!,
    credential: fast.credential,
    requests: { limit, used: limit === null ? null : limit - remaining! },
  };
}

/** Everything a guarded write could have changed in the agent's workspace. */
async function footprint(agent: Agent) {
  const [row] = await poolSql().query<Record<string, string>>(
    `SELECT (SELECT count(*) FROM kv_entry WHERE workspace_id = $1) AS entries,
            (SELECT COALESCE(sum(version), 0) FROM kv_entry WHERE workspace_id = $1) AS versions,
            (SELECT count(*) FROM audit_event WHERE workspace_id = $1) AS events,
            (SELECT count(*) FROM idempotency_record WHERE identity_id = $2) AS records,
            (SELECT COALESCE(sum(used), 0) FROM usage_slot WHERE scope_id IN ($1, $3)) AS used,
            (SELECT count(*) FROM usage_slot WHERE scope_id IN ($1, $3)) AS slots`,
    [agent.workspace.id, agent.identity.id, agent.credential.id],
  );
  return row;
}

describe("agent_kv_put — the guarded PUT in one statement", () => {
  it("writes the entry, its audit event and stored response, and counts one request and one write", async () => {
    const agent = await seedAgent();
    await layOut([agent.workspace.id, agent.credential.id]);
    const put = await attempt(agent.key, "first", { idempotencyKey: "op-1" });
    expect(put).toMatchObject({
      status: 201,
      version: 1,
      body: JSON.stringify({ namespace: "billing.runs", key: "first", version: 1, expiresAt: null }),
      credential: { id: agent.credential.id },
      requests: { limit: null, used: null },
    });
    const [event] = await poolSql().query<Record<string, unknown>>(
      `SELECT action, outcome, actor_type, actor_id, namespace, target, request_id, details FROM audit_event
       WHERE workspace_id = $1 AND action = 'kv.put'`,
      [agent.workspace.id],
    );
    expect(event).toMatchObject({
      action: "kv.put",
      outcome: "success",
      actor_type: "identity",
      actor_id: agent.identity.id,
      namespace: "billing.runs",
      target: "first",
      request_id: "req-first",
      details: { versionAfter: 1, precondition: { kind: "none" } },
    });
    const [record] = await poolSql().query<{ response_status: number; response_body: string }>(
      `SELECT response_status, response_body FROM idempotency_record WHERE identity_id = $1 AND key = 'op-1'`,
      [agent.identity.id],
    );
    expect(record).toEqual({ response_status: 201, response_body: put!.body });
    expect(await attempt(agent.key, "first")).toMatchObject({ version: 2 });
    const [counted] = await poolSql().query<{ used: string }>(
      `SELECT sum(used) AS used FROM usage_slot WHERE scope_id IN ($1, $2)`,
      [agent.workspace.id, agent.credential.id],
    );
    expect(counted!.used).toBe("4"); // two requests, two writes
  });

  it("of two twins with one Idempotency-Key, one writes and the other rolls back whole", async () => {
    const agent = await seedAgent();
    await layOut([agent.workspace.id, agent.credential.id]);
    const results = await Promise.all(
      Array.from({ length: 6 }, () => attempt(agent.key, "twin", { idempotencyKey: "op-twin" })),
    );
    expect(results.filter((r) => r !== null)).toHaveLength(1);
    expect(await footprint(agent)).toMatchObject({ entries: "1", versions: "1", records: "1", used: "2" });
  });

  it("waits for a twin on the general path instead of deadlocking with it (the key first, then the entry)", async () => {
    const agent = await seedAgent();
    await layOut([agent.workspace.id, agent.credential.id]);
    const general = await getPool().connect();
    try {
      // The general path's transaction: it has claimed the Idempotency-Key and is about to write.
      await general.query("BEGIN");
      await general.query(
        `INSERT INTO idempotency_record (identity_id, key, fingerprint, response_status, response_body, created_at, expires_at)
         VALUES ($1, 'op-twin-paths', 'fp', 0, '', now(), now() + interval '1 day')`,
        [agent.identity.id],
      );
      const express = attempt(agent.key, "twin-paths", {
        idempotencyKey: "op-twin-paths",
        principal: await remembered(agent.key),
      });
      await new Promise((r) => setTimeout(r, 300));
      // Its write of the same entry goes through: the one statement is waiting on the key, holding nothing.
      const { rows } = await general.query<{ outcome: string }>(
        `SELECT outcome FROM kv_put($1, 'billing.runs', 'twin-paths', '{"v":1}'::jsonb, NULL, 'none', NULL, now(),
                                    'identity', $2, 'bot', NULL, NULL, 'req-general', '{}'::jsonb)`,
        [agent.workspace.id, agent.identity.id],
      );
      expect(rows[0]!.outcome).toBe("written");
      await general.query(
        `UPDATE idempotency_record SET response_status = 201, response_body = '{}' WHERE identity_id = $1 AND key = 'op-twin-paths'`,
        [agent.identity.id],
      );
      await general.query("COMMIT");
      expect(await express).toBeNull(); // taken: the general path replays the twin's answer
    } finally {
      await general.query("ROLLBACK").catch(() => {});
      general.release();
    }
    expect(await footprint(agent)).toMatchObject({ entries: "1", versions: "1", records: "1" });
  });

  it("does nothing, and leaves the call to the general path, whenever the call is out of the ordinary", async () => {
    const agent = await seedAgent([{ pattern: "billing.*", access: "readwrite" }], {
      namespaces: ["billing.runs", "billing.capped"],
    });
    // The day's first call: no counters yet (the general path lays them out).
    expect(await attempt(agent.key, "x")).toBeNull();
    expect(await footprint(agent)).toMatchObject({ entries: "0", events: expect.any(String), slots: "0" });
    await layOut([agent.workspace.id, agent.credential.id]);
    await createNamespace({
      workspaceId: agent.workspace.id,
      actor: testActor,
      name: "billing.short",
      defaultTtlSeconds: null,
      maxTtlSeconds: 60,
    });
    expect(await attempt(agent.key, "taken", { idempotencyKey: "op-dup" })).not.toBeNull();
    const before = await footprint(agent);

    const leftAlone: [string, () => ReturnType<typeof attempt>][] = [
      ["an unknown key", () => attempt(agent.key, "x", { keyHash: hashKey("bkv_live_unknown") })],
      ["a namespace not granted", () => attempt(agent.key, "x", { namespace: "hr.payroll" })],
      ["a namespace that does not exist", () => attempt(agent.key, "x", { namespace: "billing.none" })],
      ["a stale If-Match", () => attempt(agent.key, "taken", { ifMatch: 7 })],
      ["a replay of an Idempotency-Key", () => attempt(agent.key, "again", { idempotencyKey: "op-dup" })],
    ];
    for (const [why, call] of leftAlone) {
      expect(await call(), why).toBeNull();
      expect(await footprint(agent), why).toEqual(before);
    }
  });

  it("leaves the kill switch, a revoked key, a degraded workspace and a key at its ceiling to the general path", async () => {
    const agent = await seedAgent();
    await layOut([agent.workspace.id, agent.credential.id]);

    const before = await remembered(agent.key);
    await updateWorkspace({ slug: agent.workspace.slug, actor: testActor, settings: { killSwitch: true } });
    const stopped = await footprint(agent);
    expect(await attempt(agent.key, "k", { principal: before })).toBeNull();
    expect(await footprint(agent)).toEqual(stopped);
    await updateWorkspace({ slug: agent.workspace.slug, actor: testActor, settings: { killSwitch: false } });

    // Limit 10, degraded from 5: four calls stay normal; the fifth would degrade the workspace.
    await updateWorkspace({
      slug: agent.workspace.slug,
      actor: testActor,
      settings: { dailyRequestLimit: 10, degradeAtPercent: 50 },
    });
    for (let i = 0; i < 4; i++) expect(await attempt(agent.key, `n-${i}`)).toMatchObject({ requests: { used: i + 1 } });
    const normal = await footprint(agent);
    expect(await attempt(agent.key, "n-4")).toBeNull();
    expect(await footprint(agent)).toEqual(normal);

    const capped = await issueCredential({
      workspaceId: agent.workspace.id,
      actor: testActor,
      identityId: agent.identity.id,
      expiresInSeconds: 3600,
      dailyWriteCeiling: 1,
    });
    await resizeToday(capped.id, localDay(new Date(), "UTC"), 1, CREDENTIAL_SLOTS);
    await updateWorkspace({ slug: agent.workspace.slug, actor: testActor, settings: { dailyRequestLimit: null } });
    expect(await attempt(capped.key, "c-1")).not.toBeNull();
    expect(await attempt(capped.key, "c-2")).toBeNull();

    const valid = await remembered(agent.key);
    await revokeCredential({
      workspaceId: agent.workspace.id,
      actor: testActor,
      credentialId: agent.credential.id,
      reason: "leaked",
    });
    expect(await attempt(agent.key, "r", { principal: valid })).toBeNull();
  });

  it("holds the degrade threshold exactly at limits up to 2,000,000,000, at any percentage", async () => {
    const limit = 2_000_000_000;
    for (const degradeAtPercent of [1, 80, 100]) {
      const agent = await seedAgent();
      const ceiling = await issueCredential({
        workspaceId: agent.workspace.id,
        actor: testActor,
        identityId: agent.identity.id,
        expiresInSeconds: 3600,
        dailyWriteCeiling: limit,
      });
      await updateWorkspace({
        slug: agent.workspace.slug,
        actor: testActor,
        settings: { dailyRequestLimit: limit, degradeAtPercent },
      });
      await layOut([ceiling.id], limit);
      // The day so far: two calls short of the threshold (put on one slot; the others take the units).
      const threshold = degradeThreshold(limit, degradeAtPercent);
      await poolSql().query(`UPDATE usage_slot SET used = $3 WHERE scope_id = $1 AND day = $2::date AND slot = 0`, [
        agent.workspace.id,
        localDay(new Date(), "UTC"),
        threshold - 2,
      ]);
      expect(await attempt(ceiling.key, "last-normal"), `${degradeAtPercent}%`).toMatchObject({
        requests: { limit, used: threshold - 1 },
      });
      expect(await attempt(ceiling.key, "would-degrade"), `${degradeAtPercent}%`).toBeNull();
    }
  });

  it("takes a free slot instead of waiting for one another call holds, and waits only when all are held", async () => {
    const agent = await seedAgent();
    await updateWorkspace({ slug: agent.workspace.slug, actor: testActor, settings: { dailyRequestLimit: 1000 } });
    await layOut([agent.workspace.id, agent.credential.id], 1000);
    const day = localDay(new Date(), "UTC");
    const other = await getPool().connect();
    try {
      // Another call's transaction holds the slot this call would try first (start 0).
      await other.query("BEGIN");
      await other.query(`UPDATE usage_slot SET used = used + 1 WHERE scope_id = $1 AND day = $2 AND slot = 0`, [
        agent.workspace.id,
        day,
      ]);
      const put = await Promise.race([
        attempt(agent.key, "beside-a-held-slot"),
        new Promise<never>((_, reject) => setTimeout(() => reject(new Error("it waited for the held slot")), 5_000)),
      ]);
      expect(put).not.toBeNull();
      await other.query("ROLLBACK");

      // Only one slot has room, and another transaction holds it: the call waits for it, then takes
      // it — a busy last unit is not refused. (The first call took a slot of its own random choice,
      // which may have been this one.)
      const slotFiveUsed = async () =>
        Number(
          (
            await poolSql().query<{ used: string }>(
              `SELECT used FROM usage_slot WHERE scope_id = $1 AND day = $2 AND slot = 5`,
              [agent.workspace.id, day],
            )
          )[0]!.used,
        );
      const before = await slotFiveUsed();
      await poolSql().query(`UPDATE usage_slot SET cap = used WHERE scope_id = $1 AND day = $2 AND slot <> 5`, [
        agent.workspace.id,
        day,
      ]);
      await other.query("BEGIN");
      await other.query(`SELECT 1 FROM usage_slot WHERE scope_id = $1 AND day = $2 AND slot = 5 FOR UPDATE`, [
        agent.workspace.id,
        day,
      ]);
      let settled = false;
      const waiting = attempt(agent.key, "the-last-room").finally(() => (settled = true));
      await new Promise((r) => setTimeout(r, 300));
      expect(settled).toBe(false);
      await other.query("COMMIT");
      expect(await waiting).not.toBeNull();
      expect(await slotFiveUsed()).toBe(before + 1);
    } finally {
      await other.query("ROLLBACK").catch(() => {});
      other.release();
    }
  });

  it("counts on the day of the workspace's time zone", async () => {
    const agent = await seedAgent();
    await updateWorkspace({ slug: agent.workspace.slug, actor: testActor, settings: { timeZone: "Asia/Tokyo" } });
    const evening = new Date("2026-11-25T14:59:59Z"); // 23:59:59 in Tokyo
    await layOut([agent.workspace.id, agent.credential.id], null, evening, "Asia/Tokyo");
    expect(await attempt(agent.key, "late", { now: evening })).toMatchObject({ version: 1 });
    // Midnight in Tokyo: a new day whose counters are not laid out yet.
    expect(await attempt(agent.key, "midnight", { now: new Date("2026-11-25T15:00:00Z") })).toBeNull();
  });

  it("acts only on the principal as it was loaded: any change to what it decides by leaves the call alone", async () => {
    const agent = await seedAgent([{ pattern: "billing.*", access: "readwrite" }], {
      namespaces: ["billing.runs"],
    });
    await layOut([agent.workspace.id, agent.credential.id]);
    const ws = { slug: agent.workspace.slug, actor: testActor };
    const who = { workspaceId: agent.workspace.id, actor: testActor, identityId: agent.identity.id };
    const grants = (list: { pattern: string; access: "read" | "readwrite" }[]) =>
      setIdentityGrants({ ...who, grants: list, reason: "test" });
    const changes: [string, () => Promise<unknown>][] = [
      ["a grant narrowed", () => grants([{ pattern: "billing.*", access: "read" }])],
      ["a grant widened", () => grants([{ pattern: "*", access: "readwrite" }])],
      ["a daily limit set", () => updateWorkspace({ ...ws, settings: { dailyRequestLimit: 1000 } })],
      ["the degrade threshold moved", () => updateWorkspace({ ...ws, settings: { degradeAtPercent: 90 } })],
      ["the time zone changed", () => updateWorkspace({ ...ws, settings: { timeZone: "Europe/Paris" } })],
      ["the kill switch", () => updateWorkspace({ ...ws, settings: { killSwitch: true } })],
      ["the kill switch released", () => updateWorkspace({ ...ws, settings: { killSwitch: false } })],
      ["the identity disabled", () => setIdentityStatus({ ...who, status: "disabled", reason: "test" })],
    ];
    let n = 0;
    for (const [why, change] of changes) {
      const principal = await remembered(agent.key);
      const day = principal.workspace.timeZone;
      const mayWrite = decideAccess(principal.grants, "billing.runs", "write").allowed;
      if (mayWrite && principal.identity.status === "active" && !principal.workspace.killSwitch) {
        expect(await attempt(agent.key, `before-${n}`, { principal }), `${why}: before`).not.toBeNull();
      }
      await layOut([agent.workspace.id, agent.credential.id], principal.workspace.dailyRequestLimit, new Date(), day);
      const before = await footprint(agent);
      await change();
      const after = await footprint(agent); // the change's own audit event
      expect(await attempt(agent.key, `after-${n++}`, { principal }), why).toBeNull();
      expect(await footprint(agent), why).toEqual(after);
      expect(after!.entries, why).toBe(before!.entries);
    }
  });
});
