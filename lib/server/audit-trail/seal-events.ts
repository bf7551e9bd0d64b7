import "server-only";
import { chainKeyOf, sealEvents } from "@/lib/core/audit-chain";
import { getDb } from "../db";
import { EVENT_COLUMNS, toChainEvent, type AuditEventRow } from "./event-row";

const SEAL_LOCK_KEY = 72707374;
const BATCH = 5000;

export type SealResult = { ran: boolean; sealed: number };

/**
 * The audit chainer. Writers never wait on a chain head: they insert their
 * event (any way they like — the Prisma writer or raw SQL) and commit. This
 * seals, shortly afterwards, every event whose transaction is older than the
 * oldest transaction still running (`xid < pg_snapshot_xmin(...)`): such an
 * event is committed for good (or rolled back and invisible), and no event
 * can appear later before it in (xid, id) order. So one position
 * (last_xid, last_id) says exactly what is sealed, and each event is sealed
 * once, in (xid, id) order, appended to its workspace's chain.
 *
 * One instance at a time (transaction-level advisory lock). The background
 * job tries the lock and skips when another instance holds it; `wait: true`
 * (verify, tests) waits for it instead, so that it seals what is committed.
 */
export async function sealPendingEvents(
  options: { maxBatches?: number; batchSize?: number; wait?: boolean } = {},
): Promise<SealResult> {
  const db = getDb();
  const result: SealResult = { ran: false, sealed: 0 };
  const batchSize = options.batchSize ?? BATCH;
  for (let batch = 0; batch < (options.maxBatches ?? 20); batch++) {
    const more = await db.$transaction(
      async (tx) => {
        if (options.wait) {
          await tx.$executeRaw`SELECT pg_advisory_xact_lock(${SEAL_LOCK_KEY})`;
        } else {
          const lock = await tx.$queryRaw<
            { locked: boolean }[]
          >`SELECT pg_try_advisory_xact_lock(${SEAL_LOCK_KEY}) AS locked`;
          if (!lock[0]?.locked) return false;
        }
        result.ran = true;
        const [state] = await tx.$queryRaw<{ last_xid: bigint; last_id: bigint }[]>`
          SELECT last_xid, last_id FROM audit_chain_state WHERE id = 1`;
        if (!state) throw new Error("audit_chain_state is missing its row");
        const rows = await tx.$queryRawUnsafe<(AuditEventRow & { xid: string })[]>(
          `SELECT ${EVENT_COLUMNS}, e.xid::text AS xid FROM audit_event e
           WHERE (e.xid, e.id) > ($1::text::xid8, $2::bigint)
             AND e.xid < pg_snapshot_xmin(pg_current_snapshot())
           ORDER BY e.xid, e.id
           LIMIT ${Number(batchSize)}`,
          state.last_xid.toString(),
          state.last_id,
        );
        if (rows.length === 0) return false;
        const byChain = new Map<string, AuditEventRow[]>();
        for (const row of rows) {
          const key = chainKeyOf(row.workspace_id);
          const list = byChain.get(key) ?? [];
          list.push(row);
          byChain.set(key, list);
        }
        const heads = await tx.$queryRaw<{ chain_key: string; seq: bigint; hash: string }[]>`
          SELECT DISTINCT ON (chain_key) chain_key, seq, hash FROM audit_seal
          WHERE chain_key = ANY(${[...byChain.keys()]}::text[])
          ORDER BY chain_key, seq DESC`;
        const ids: string[] = [];
        const keys: string[] = [];
        const seqs: string[] = [];
        const prevs: string[] = [];
        const hashes: string[] = [];
        for (const [key, events] of byChain) {
          const head = heads.find((h) => h.chain_key === key);
          const seals = sealEvents(head ? { seq: Number(head.seq), hash: head.hash } : null, events.map(toChainEvent));
          seals.forEach((seal, i) => {
            ids.push(events[i]!.id.toString());
            keys.push(key);
            seqs.push(String(seal.seq));
            prevs.push(seal.prevHash);
            hashes.push(seal.hash);
          });
        }
        await tx.$executeRaw`
          INSERT INTO audit_seal (event_id, chain_key, seq, prev_hash, hash)
          SELECT * FROM unnest(${ids}::bigint[], ${keys}::text[], ${seqs}::bigint[], ${prevs}::text[], ${hashes}::text[])`;
        const last = rows[rows.length - 1]!;
        await tx.$executeRaw`
          UPDATE audit_chain_state SET last_xid = ${last.xid}::bigint, last_id = ${last.id}, updated_at = now()
          WHERE id = 1`;
        result.sealed += rows.length;
        return rows.length === batchSize;
      },
      { timeout: 60_000 },
    );
    if (!more) break;
  }
  return result;
}

/** Events of a workspace not sealed yet: their transaction was still running at the last seal. */
export async function countUnsealedEvents(workspaceId: string): Promise<number> {
  const [row] = await getDb().$queryRaw<{ n: bigint }[]>`
    SELECT count(*) AS n FROM audit_event e, audit_chain_state s
    WHERE s.id = 1 AND e.workspace_id = ${workspaceId}
      AND (e.xid, e.id) > (s.last_xid::text::xid8, s.last_id)`;
  return Number(row?.n ?? 0);
}
