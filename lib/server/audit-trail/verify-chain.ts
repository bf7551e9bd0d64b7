import "server-only";
import { ChainVerifier, chainKeyOf, type ChainVerdict } from "@/lib/core/audit-chain";
import { getDb } from "../db";
import { EVENT_COLUMNS, toChainEvent, type AuditEventRow } from "./event-row";
import { countUnsealedEvents, sealPendingEvents } from "./seal-events";

const PAGE = 5000;

export type VerifyResult =
  | { ok: true; events: number; pending?: number }
  | {
      ok: false;
      events: number;
      pending?: number;
      firstBadEvent: {
        id: string;
        seq: number | null;
        problem: Extract<ChainVerdict, { ok: false }>["firstBadEvent"]["problem"] | "unsealed_event";
      };
    };

/**
 * Verifies a workspace's chain: first seals what is committed (so a verify
 * right after a change covers it), then walks the seals in seq order, page by
 * page, recomputing every hash from the event as stored now. Reports the
 * first event that does not verify. Events sealed below the chainer's
 * position must all have a seal: one without is reported too (inserted
 * behind the chainer's back with an old transaction id).
 */
export async function verifyWorkspaceChain(workspaceId: string): Promise<VerifyResult> {
  await sealPendingEvents({ wait: true, maxBatches: 10_000 });
  const db = getDb();
  const chainKey = chainKeyOf(workspaceId);
  const verifier = new ChainVerifier();
  let afterSeq = 0n;
  for (;;) {
    const rows = await db.$queryRawUnsafe<
      (Omit<AuditEventRow, "id"> & {
        id: bigint | null;
        event_id: bigint;
        seq: bigint;
        prev_hash: string;
        hash: string;
      })[]
    >(
      `SELECT s.event_id, s.seq, s.prev_hash, s.hash, ${EVENT_COLUMNS}
       FROM audit_seal s LEFT JOIN audit_event e ON e.id = s.event_id
       WHERE s.chain_key = $1 AND s.seq > $2
       ORDER BY s.seq LIMIT ${PAGE}`,
      chainKey,
      afterSeq,
    );
    for (const row of rows) {
      // An event edited to move it to another workspace still has its seal here: its hash no longer matches.
      const ok = verifier.push({
        eventId: row.event_id.toString(),
        seal: { seq: Number(row.seq), prevHash: row.prev_hash, hash: row.hash },
        event: row.id === null ? null : toChainEvent(row as AuditEventRow),
      });
      if (!ok) break;
    }
    if (verifier.failed || rows.length < PAGE) break;
    afterSeq = rows[rows.length - 1]!.seq;
  }
  const pending = await countUnsealedEvents(workspaceId);
  const verdict = verifier.verdict();
  const extra = pending ? { pending } : {};
  if (!verdict.ok) return { ...verdict, ...extra };
  const [orphan] = await db.$queryRaw<{ id: bigint }[]>`
    SELECT e.id FROM audit_event e, audit_chain_state st
    WHERE st.id = 1 AND e.workspace_id = ${workspaceId}
      AND (e.xid, e.id) <= (st.last_xid::text::xid8, st.last_id)
      AND NOT EXISTS (SELECT 1 FROM audit_seal s WHERE s.event_id = e.id)
    ORDER BY e.id LIMIT 1`;
  if (orphan) {
    return {
      ok: false,
      events: verdict.events,
      ...extra,
      firstBadEvent: { id: orphan.id.toString(), seq: null, problem: "unsealed_event" },
    };
  }
  return { ok: true, events: verdict.events, ...extra };
}
