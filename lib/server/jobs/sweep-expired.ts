import "server-only";
import { writeAudit, systemActor } from "../audit";
import { getDb } from "../db";

const SWEEP_LOCK_KEY = 72707371;
const BATCH = 500;

export type SweepResult = { ran: boolean; kvEntries: number; idempotencyRecords: number };

/**
 * Purges expired KV entries and idempotency records in small batches. Expired
 * entries are already invisible, so this is housekeeping: it runs under a
 * transaction-level advisory lock (one instance at a time, whatever the number
 * of app servers), and skips rows an agent is writing (SKIP LOCKED) instead of
 * waiting for them — agent traffic never waits on the sweeper for long.
 */
export async function sweepExpired(
  now: Date = new Date(),
  options: { maxBatches?: number } = {},
): Promise<SweepResult> {
  const db = getDb();
  const result: SweepResult = { ran: false, kvEntries: 0, idempotencyRecords: 0 };
  for (let batch = 0; batch < (options.maxBatches ?? 20); batch++) {
    const done = await db.$transaction(async (tx) => {
      const lock = await tx.$queryRaw<
        { locked: boolean }[]
      >`SELECT pg_try_advisory_xact_lock(${SWEEP_LOCK_KEY}) AS locked`;
      if (!lock[0]?.locked) return true; // another instance is sweeping
      result.ran = true;
      const purged = await tx.$queryRaw<{ workspace_id: string; namespace: string }[]>`
        DELETE FROM kv_entry e USING namespace n
        WHERE n.id = e.namespace_id AND (e.namespace_id, e.key) IN (
          SELECT namespace_id, key FROM kv_entry
          WHERE expires_at IS NOT NULL AND expires_at <= ${now}
          ORDER BY expires_at LIMIT ${BATCH} FOR UPDATE SKIP LOCKED)
        RETURNING e.workspace_id, n.name AS namespace`;
      const records = await tx.$executeRaw`
        DELETE FROM idempotency_record WHERE (identity_id, key) IN (
          SELECT identity_id, key FROM idempotency_record WHERE expires_at <= ${now} LIMIT ${BATCH} FOR UPDATE SKIP LOCKED)`;
      // One audit event per workspace and namespace per batch: what the system removed, and why.
      const counts = new Map<string, { workspaceId: string; namespace: string; count: number }>();
      for (const row of purged) {
        const id = `${row.workspace_id}\u0000${row.namespace}`;
        const entry = counts.get(id) ?? { workspaceId: row.workspace_id, namespace: row.namespace, count: 0 };
        entry.count++;
        counts.set(id, entry);
      }
      for (const c of counts.values()) {
        await writeAudit(tx, {
          workspaceId: c.workspaceId,
          actor: systemActor("ttl-sweeper"),
          action: "kv.expired_purged",
          namespace: c.namespace,
          reason: "TTL expired",
          details: { count: c.count },
        });
      }
      result.kvEntries += purged.length;
      result.idempotencyRecords += records;
      return purged.length < BATCH && records < BATCH;
    });
    if (done) break;
  }
  return result;
}
