import "server-only";
import { chainKeyOf, sealEvents } from "@/lib/core/audit-chain";
import { getDb } from "../db";
import { pgTransaction } from "../db";
import { EVENT_COLUMNS, toChainEvent, type EventRow } from "./event-row";

const SEAL_LOCK_KEY = 72707374;
/**
 * Events per transaction. Hashing is synchronous JavaScript on the process
 * that also serves requests: a batch of 500 holds its event loop for a few
 * milliseconds, not the hundreds of milliseconds 5,000 did (seen as p99 spikes
 * of guarded writes under load).
 */
const BATCH = 500;

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
  const result: SealResult = { ran: false, sealed: 0 };
  const batchSize = options.batchSize ?? BATCH;
  for (let batch = 0; batch < (options.maxBatches ?? 40); batch++) {
    const more = await pgTransaction(async (sql) => {
      if (options.wait) {
        await sql.query(`SELECT pg_advisory_xact_lock($1)`, [SEAL_LOCK_KEY]);
      } else {
        const [lock] = await sql.query<{ locked: boolean }>(`SELECT pg_try_advisory_xact_lock($1) AS locked`, [
          SEAL_LOCK_KEY,
        ]);
        if (!lock?.locked) return false;
      }
      result.ran = true;
      const [state] = await sql.query<{ last_xid: string; last_id: string }>(
        `SELECT last_xid, last_id FROM audit_chain_state WHERE id = 1`,
      );
      if (!state) throw new Error("audit_chain_state is missing its row");
      const rows = await sql.query<EventRow & { xid: string }>(
        `SELECT ${EVENT_COLUMNS}, e.xid::text AS xid FROM audit_event e
         WHERE (e.xid, e.id) > ($1::text::xid8, $2::bigint)
           AND e.xid < pg_snapshot_xmin(pg_current_snapshot())
         ORDER BY e.xid, e.id
         LIMIT $3`,
        [state.last_xid, state.last_id, batchSize],
      );
      if (rows.length === 0) return false;
      const byChain = new Map<string, EventRow[]>();
      for (const row of rows) {
        const key = chainKeyOf(row.workspace_id);
        const list = byChain.get(key) ?? [];
        list.push(row);
        byChain.set(key, list);
      }
      // Each chain's head is its last seal: one step down the (chain_key, seq) index per chain, however
      // long the chain (DISTINCT ON would read and sort every seal of every chain in the batch).
      const heads = await sql.query<{ chain_key: string; seq: string; hash: string }>(
        `SELECT k.chain_key, h.seq, h.hash FROM unnest($1::text[]) AS k(chain_key)
         CROSS JOIN LATERAL (
           SELECT s.seq, s.hash FROM audit_seal s WHERE s.chain_key = k.chain_key ORDER BY s.seq DESC LIMIT 1
         ) h`,
        [[...byChain.keys()]],
      );
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
      await sql.query(
        `INSERT INTO audit_seal (event_id, chain_key, seq, prev_hash, hash)
         SELECT * FROM unnest($1::bigint[], $2::text[], $3::bigint[], $4::text[], $5::text[])`,
        [ids, keys, seqs, prevs, hashes],
      );
      // Each chain's new head waits for a signed checkpoint (checkpoint.ts); `since` keeps its first wait.
      const headKeys: string[] = [];
      const headSeqs: string[] = [];
      const headHashes: string[] = [];
      const newHeads = keys
        .map((key, i) => ({ key, seq: seqs[i]!, hash: hashes[i]! }))
        .filter((_, i) => keys[i + 1] !== keys[i]) // each chain's seals are consecutive here: the last is its head
        .sort((a, b) => (a.key < b.key ? -1 : 1)); // rows locked in key order, as the checkpointer's deletes
      for (const head of newHeads) {
        headKeys.push(head.key);
        headSeqs.push(head.seq);
        headHashes.push(head.hash);
      }
      await sql.query(
        `INSERT INTO audit_chain_pending (chain_key, seq, hash, since)
         SELECT k, s, h, now() FROM unnest($1::text[], $2::bigint[], $3::text[]) AS t(k, s, h)
         ON CONFLICT (chain_key) DO UPDATE SET seq = EXCLUDED.seq, hash = EXCLUDED.hash`,
        [headKeys, headSeqs, headHashes],
      );
      const last = rows[rows.length - 1]!;
      await sql.query(
        `UPDATE audit_chain_state SET last_xid = $1::bigint, last_id = $2, updated_at = now() WHERE id = 1`,
        [last.xid, last.id],
      );
      result.sealed += rows.length;
      return rows.length === batchSize;
    });
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
