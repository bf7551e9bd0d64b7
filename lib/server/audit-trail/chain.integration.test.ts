import pg from "pg";
import { describe, expect, it } from "vitest";
import { seedWorkspace, testActor } from "@/tests/fixtures";
import { sealHash, GENESIS_HASH } from "@/lib/core/audit-chain";
import { writeAudit } from "../audit";
import { getDb } from "../db";
import { sealPendingEvents } from "./seal-events";
import { verifyWorkspaceChain, type VerifyResult } from "./verify-chain";

/** Verify once every committed event is sealed (another test file's open transaction may hold the frontier back briefly). */
async function verifySettled(workspaceId: string): Promise<VerifyResult> {
  for (let i = 0; ; i++) {
    const result = await verifyWorkspaceChain(workspaceId);
    if (!result.pending || i > 50) return result;
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A superuser edit behind the trigger's back: what the hash chain exists to reveal. (The app's own role cannot.) */
async function asSuperuserBehindTheTrigger(sql: string, params: unknown[]) {
  const client = new pg.Client({ connectionString: process.env.TEST_DATABASE_OWNER_URL });
  await client.connect();
  try {
    await client.query("SET session_replication_role = replica");
    await client.query(sql, params);
  } finally {
    await client.end();
  }
}

async function writeSome(workspaceId: string, n: number, label = "test.chained") {
  for (let i = 0; i < n; i++) {
    await writeAudit(getDb(), { workspaceId, actor: testActor, action: label, reason: `event ${i}`, details: { i } });
  }
}

describe("audit hash chain", () => {
  it("seals every event of a workspace in a chain that verifies, with the event count", async () => {
    const { workspace } = await seedWorkspace(["admin"]);
    await writeSome(workspace.id, 5);
    const result = await verifySettled(workspace.id);
    const total = await getDb().auditEvent.count({ where: { workspaceId: workspace.id } });
    expect(result).toMatchObject({ ok: true, events: total });

    const seals = await getDb().auditSeal.findMany({ where: { chainKey: workspace.id }, orderBy: { seq: "asc" } });
    expect(seals.map((s) => Number(s.seq))).toEqual(Array.from({ length: total }, (_, i) => i + 1));
    expect(seals[0]!.prevHash).toBe(GENESIS_HASH);
    for (let i = 1; i < seals.length; i++) expect(seals[i]!.prevHash).toBe(seals[i - 1]!.hash);
    // The hash is the documented formula over the stored event.
    const first = await getDb().auditEvent.findUniqueOrThrow({ where: { id: seals[0]!.eventId } });
    expect(
      sealHash(GENESIS_HASH, {
        ...first,
        id: first.id.toString(),
        actorType: first.actorType,
        outcome: first.outcome,
        createdAt: first.createdAt.toISOString(),
      }),
    ).toBe(seals[0]!.hash);
  });

  it("seals rows inserted with raw SQL too, and verifies across many concurrent writers and chainers", async () => {
    const { workspace } = await seedWorkspace(["admin"]);
    const db = getDb();
    const writers = Array.from({ length: 24 }, (_, w) =>
      db.$transaction(async (tx) => {
        await writeAudit(tx, {
          workspaceId: workspace.id,
          actor: testActor,
          action: "test.concurrent",
          target: `w${w}`,
        });
        await new Promise((r) => setTimeout(r, (w * 7) % 40)); // commit out of id order
        await tx.$executeRaw`
          INSERT INTO audit_event (workspace_id, actor_type, actor_name, action, outcome, reason)
          VALUES (${workspace.id}, 'system', 'raw-writer', 'test.raw_insert', 'success', ${`raw ${w}`})`;
      }),
    );
    const chainers = Array.from({ length: 6 }, async (_, i) => {
      await new Promise((r) => setTimeout(r, i * 15));
      return sealPendingEvents();
    });
    await Promise.all([...writers, ...chainers]);
    const result = await verifySettled(workspace.id);
    const total = await db.auditEvent.count({ where: { workspaceId: workspace.id } });
    expect(total).toBeGreaterThanOrEqual(48);
    expect(result).toMatchObject({ ok: true, events: total });
    // Exactly one seal per event, none twice.
    const sealed = await db.$queryRaw<{ n: bigint; distinct_events: bigint }[]>`
      SELECT count(*) AS n, count(DISTINCT s.event_id) AS distinct_events FROM audit_seal s
      JOIN audit_event e ON e.id = s.event_id WHERE e.workspace_id = ${workspace.id}`;
    expect(Number(sealed[0]!.n)).toBe(total);
    expect(Number(sealed[0]!.distinct_events)).toBe(total);
  });

  it("names the first event edited behind the trigger's back", async () => {
    const { workspace } = await seedWorkspace(["admin"]);
    await writeSome(workspace.id, 6);
    expect((await verifySettled(workspace.id)).ok).toBe(true);
    const events = await getDb().auditEvent.findMany({
      where: { workspaceId: workspace.id, action: "test.chained" },
      orderBy: { id: "asc" },
    });
    const victim = events[3]!;
    await asSuperuserBehindTheTrigger(`UPDATE audit_event SET reason = 'nothing to see here' WHERE id = $1`, [
      victim.id.toString(),
    ]);
    const result = await verifyWorkspaceChain(workspace.id);
    expect(result).toMatchObject({ ok: false, firstBadEvent: { id: victim.id.toString(), problem: "hash_mismatch" } });
    const seal = await getDb().auditSeal.findUniqueOrThrow({ where: { eventId: victim.id } });
    expect(result.ok === false && result.firstBadEvent.seq).toBe(Number(seal.seq));
    expect(result.events).toBe(Number(seal.seq) - 1);
  });

  it("names a deleted event, and a seal rewritten to hide an edit", async () => {
    const { workspace } = await seedWorkspace(["admin"]);
    await writeSome(workspace.id, 4);
    await verifySettled(workspace.id);
    const events = await getDb().auditEvent.findMany({ where: { workspaceId: workspace.id }, orderBy: { id: "asc" } });
    await asSuperuserBehindTheTrigger(`DELETE FROM audit_event WHERE id = $1`, [events[2]!.id.toString()]);
    expect(await verifyWorkspaceChain(workspace.id)).toMatchObject({
      ok: false,
      firstBadEvent: { id: events[2]!.id.toString(), problem: "missing_event" },
    });

    const other = await seedWorkspace(["admin"]);
    await writeSome(other.workspace.id, 3);
    await verifySettled(other.workspace.id);
    const seals = await getDb().auditSeal.findMany({
      where: { chainKey: other.workspace.id },
      orderBy: { seq: "asc" },
    });
    // Forge event 2 and recompute its own hash: the next seal's link still points at the old hash.
    await asSuperuserBehindTheTrigger(`UPDATE audit_event SET reason = 'forged' WHERE id = $1`, [
      seals[1]!.eventId.toString(),
    ]);
    const forged = await getDb().auditEvent.findUniqueOrThrow({ where: { id: seals[1]!.eventId } });
    const rehash = sealHash(seals[1]!.prevHash, {
      ...forged,
      id: forged.id.toString(),
      createdAt: forged.createdAt.toISOString(),
    });
    await asSuperuserBehindTheTrigger(`UPDATE audit_seal SET hash = $1 WHERE event_id = $2`, [
      rehash,
      seals[1]!.eventId.toString(),
    ]);
    expect(await verifyWorkspaceChain(other.workspace.id)).toMatchObject({
      ok: false,
      firstBadEvent: { id: seals[2]!.eventId.toString(), problem: "broken_link" },
    });
  });

  it("keeps the seals append-only too", async () => {
    const { workspace } = await seedWorkspace(["admin"]);
    await verifySettled(workspace.id);
    const db = getDb();
    // The app's role has no UPDATE or DELETE on the seals at all ...
    await expect(
      db.$executeRaw`UPDATE audit_seal SET hash = repeat('0', 64) WHERE chain_key = ${workspace.id}`,
    ).rejects.toThrow(/permission denied/);
    await expect(db.$executeRaw`DELETE FROM audit_seal WHERE chain_key = ${workspace.id}`).rejects.toThrow(
      /permission denied/,
    );
    // ... and the owner is refused by the trigger.
    const owner = new pg.Client({ connectionString: process.env.TEST_DATABASE_OWNER_URL });
    await owner.connect();
    try {
      await expect(owner.query(`DELETE FROM audit_seal WHERE chain_key = $1`, [workspace.id])).rejects.toThrow(
        /append-only/,
      );
    } finally {
      await owner.end();
    }
  });
});
