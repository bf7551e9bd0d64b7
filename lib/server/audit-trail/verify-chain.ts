import "server-only";
import {
  ChainVerifier,
  chainKeyOf,
  sealHash,
  type BadEventProblem,
} from "@/lib/core/audit-chain";
import { checkCheckpoint, keyForks, type Checkpoint, type KeyRecord } from "@/lib/core/audit-checkpoint";
import { env } from "@/lib/env";
import { getDb } from "../db";
import { EVENT_COLUMNS, toChainEvent, type AuditEventRow } from "./event-row";
import { countUnsealedEvents, sealPendingEvents } from "./seal-events";
import { anchorFileExists, currentSigner, readAnchors, verifierKeys } from "./signing-key";

const PAGE = 5000;

export type VerifyProblem =
  | BadEventProblem
  | "unsealed_event"
  /** a checkpoint (anchored or stored) whose signature does not verify */
  | "bad_checkpoint_signature"
  /** a checkpoint signed by a key the verifier does not trust */
  | "unknown_checkpoint_key"
  /** a retired key handed over to two successors: someone holds a retired private key */
  | "forked_key_history"
  /** events sealed long ago that no checkpoint covers: checkpoints stopped (or were removed) */
  | "checkpoint_overdue"
  /** signing is set up and checkpoints were made, but this host's anchor file is gone */
  | "anchor_missing";

type Coverage = {
  /** The latest signed checkpoint that verified (null: none yet). */
  checkpoint: { seq: number; hash: string; at: string; keyId: string } | null;
  /** Sealed events after that checkpoint: what no signature covers yet (README, "Audit trail"). */
  unanchoredTail: number;
  /** Where the walk started: 0 for a full pass, else the last verified checkpoint. */
  from: number;
  /** Checkpoints refused (another key, a bad signature): never counted as evidence, always reported. */
  invalidCheckpoints?: { seq: number; keyId: string; problem: "unknown_checkpoint_key" | "bad_checkpoint_signature" }[];
};

export type VerifyResult = (
  | { ok: true; events: number; pending?: number }
  | {
      ok: false;
      events: number;
      pending?: number;
      firstBadEvent: { id: string; seq: number | null; problem: VerifyProblem };
    }
) &
  Coverage;

type SealRow = Omit<AuditEventRow, "id"> & {
  id: bigint | null;
  event_id: bigint;
  seq: bigint;
  prev_hash: string;
  hash: string;
};

/** Every checkpoint of a chain, from the anchor file and the database's copies, and the keys to check them. */
async function checkpointsOf(chainKey: string): Promise<{ checkpoints: Checkpoint[]; keys: KeyRecord[] }> {
  const db = getDb();
  const anchors = readAnchors();
  const stored = await db.auditCheckpoint.findMany({ where: { chainKey }, orderBy: { seq: "asc" } });
  const storedKeys = await db.auditSigningKey.findMany();
  const seen = new Set<string>();
  const checkpoints = [
    ...anchors.checkpoints.filter((c) => c.chain === chainKey),
    ...stored.map((c) => ({
      chain: c.chainKey,
      seq: Number(c.seq),
      hash: c.hash,
      at: c.createdAt.toISOString(),
      keyId: c.keyId,
      signature: c.signature,
    })),
  ]
    .filter((c) => {
      const id = `${c.seq}|${c.hash}|${c.signature}`;
      if (seen.has(id)) return false;
      seen.add(id);
      return true;
    })
    .sort((a, b) => a.seq - b.seq);
  const keys = [
    ...anchors.keys,
    ...storedKeys.map((k) => ({
      keyId: k.keyId,
      publicKey: k.publicKey,
      at: k.createdAt.toISOString(),
      previousKeyId: k.previousKeyId,
      previousSignature: k.previousSignature,
      signature: k.signature,
    })),
  ];
  return { checkpoints, keys };
}

/**
 * Verifies a workspace's chain against its signed checkpoints: first seals what is committed (so a
 * verify right after a change covers it), then
 *
 * 1. checks every checkpoint's signature (a checkpoint signed with another key is refused);
 * 2. confirms that each checkpoint's head is still there: the seal at its seq has its hash, and the
 *    event there still hashes to it (so a deletion or edit behind a checkpoint is caught at once);
 * 3. walks the seals in seq order, page by page, recomputing every hash and link, and comparing the
 *    chain with each checkpoint it passes; a chain that ends before the latest checkpoint was truncated.
 *
 * `incremental` (the dashboard's button): step 3 starts from the last checkpoint a verify found
 * intact (audit_verification), so it costs time in proportion to the events since; steps 1–2 always
 * cover every checkpoint. The CLI's `audit verify` is a full pass. Reports the first thing that does
 * not verify; an intact pass records its latest checkpoint as verified.
 */
export async function verifyWorkspaceChain(
  workspaceId: string,
  options: { incremental?: boolean } = {},
): Promise<VerifyResult> {
  await sealPendingEvents({ wait: true, maxBatches: 10_000 });
  const db = getDb();
  const chainKey = chainKeyOf(workspaceId);
  const pending = await countUnsealedEvents(workspaceId);
  const extra = pending ? { pending } : {};
  const [head] = await db.$queryRaw<{ seq: bigint }[]>`
    SELECT seq FROM audit_seal WHERE chain_key = ${chainKey} ORDER BY seq DESC LIMIT 1`;
  const headSeq = Number(head?.seq ?? 0);

  // 1. Signatures. A refused checkpoint is never evidence; it is reported, after any problem of the chain
  // itself (so junk rows cannot hide a rewrite).
  const { checkpoints, keys } = await checkpointsOf(chainKey);
  const trusted = verifierKeys(keys);
  const valid: Checkpoint[] = [];
  const invalid: NonNullable<Coverage["invalidCheckpoints"]> = [];
  for (const checkpoint of checkpoints) {
    const check = checkCheckpoint(checkpoint, trusted);
    if (check === "ok") valid.push(checkpoint);
    else
      invalid.push({
        seq: checkpoint.seq,
        keyId: checkpoint.keyId,
        problem: check === "unknown_key" ? "unknown_checkpoint_key" : "bad_checkpoint_signature",
      });
  }
  const latest = valid[valid.length - 1] ?? null;
  const coverage = (from: number, upTo: number): Coverage => {
    const covered = [...valid].reverse().find((c) => c.seq <= upTo) ?? null;
    return {
      checkpoint: covered ? { seq: covered.seq, hash: covered.hash, at: covered.at, keyId: covered.keyId } : null,
      unanchoredTail: Math.max(0, headSeq - (covered?.seq ?? 0)),
      from,
      ...(invalid.length ? { invalidCheckpoints: invalid } : {}),
    };
  };
  const fail = (problem: VerifyProblem, seq: number | null, id = "", events = 0, from = 0): VerifyResult => ({
    ok: false,
    events,
    ...extra,
    firstBadEvent: { id, seq, problem },
    ...coverage(from, seq === null ? headSeq : seq - 1),
  });
  const expected = new Map<number, string>();
  for (const c of valid) {
    if (expected.has(c.seq) && expected.get(c.seq) !== c.hash) return fail("conflicting_checkpoints", c.seq);
    expected.set(c.seq, c.hash);
  }

  // 2. Each checkpoint's head still exists unchanged, and nothing was removed or added behind the latest:
  // exactly one seal per position 1..latest, each with its event (index-only counts, no hashing).
  if (valid.length > 0) {
    const seqs = [...expected.keys()];
    const rows = await db.$queryRawUnsafe<SealRow[]>(
      `SELECT s.event_id, s.seq, s.prev_hash, s.hash, ${EVENT_COLUMNS}
       FROM unnest($2::bigint[]) AS q(seq)
       JOIN audit_seal s ON s.chain_key = $1 AND s.seq = q.seq
       LEFT JOIN audit_event e ON e.id = s.event_id
       ORDER BY s.seq`,
      chainKey,
      seqs,
    );
    const bySeq = new Map<number, SealRow>();
    for (const row of rows) {
      if (bySeq.has(Number(row.seq))) return fail("duplicate_seal", Number(row.seq), row.event_id.toString());
      bySeq.set(Number(row.seq), row);
    }
    for (const seq of seqs.sort((a, b) => a - b)) {
      const row = bySeq.get(seq);
      const problem: VerifyProblem | null = !row
        ? seq > headSeq
          ? "truncated"
          : "missing_seal"
        : row.id === null
          ? "missing_event"
          : row.hash !== expected.get(seq)
            ? "checkpoint_mismatch"
            : sealHash(row.prev_hash, toChainEvent(row as AuditEventRow)) !== row.hash
              ? "hash_mismatch"
              : null;
      if (problem) return fail(problem, problem === "truncated" ? headSeq + 1 : seq, row?.event_id.toString() ?? "");
    }
  }
  // One seal per position is the unique index's guarantee: whether it is still there, checked once.
  const [index] = await db.$queryRaw<{ unique_index: boolean }[]>`
    SELECT EXISTS (SELECT 1 FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
                   WHERE c.relname = 'audit_seal_chain_key_seq_key' AND i.indisunique AND i.indisvalid) AS unique_index`;
  const unique = Boolean(index?.unique_index);
  let structureIntact = true;
  if (latest && options.incremental) {
    // Exactly one seal per position up to the latest checkpoint, and every sealed event still there —
    // by counts an index answers (no hashing, no per-seal lookup). One seal per position is the unique
    // index's guarantee, so its presence is checked rather than counted (it cannot be rebuilt over a duplicate).
    // One statement, one snapshot: the chainer sealing meanwhile cannot make the counts disagree.
    const [shape] = await db.$queryRaw<
      { behind: bigint; seals: bigint; events: bigint; unsealed: bigint }[]
    >`
      SELECT (SELECT count(*) FROM audit_seal WHERE chain_key = ${chainKey} AND seq BETWEEN 1 AND ${latest.seq}) AS behind,
             (SELECT count(*) FROM audit_seal WHERE chain_key = ${chainKey}) AS seals,
             (SELECT count(*) FROM audit_event WHERE workspace_id = ${workspaceId}) AS events,
             (SELECT count(*) FROM audit_event e, audit_chain_state st
              WHERE st.id = 1 AND e.workspace_id = ${workspaceId}
                AND (e.xid, e.id) > (st.last_xid::text::xid8, st.last_id)) AS unsealed`;
    // Something was removed or added behind a checkpoint: the full walk below names the position.
    structureIntact =
      unique &&
      Number(shape?.behind) === latest.seq &&
      Number(shape?.seals) + Number(shape?.unsealed) === Number(shape?.events);
  }

  // Checkpoints stopped, or this host lost its anchors: the tail is growing old without a signature.
  if (currentSigner()) {
    if (!anchorFileExists() && (await db.auditSigningKey.count()) > 0) return fail("anchor_missing", null);
    const [firstUncovered] = await db.$queryRaw<{ seq: bigint; sealed_at: Date }[]>`
      SELECT seq, sealed_at FROM audit_seal WHERE chain_key = ${chainKey} AND seq = ${(latest?.seq ?? 0) + 1}`;
    const graceMs = (2 * env().AUDIT_CHECKPOINT_INTERVAL_SECONDS + 60) * 1000;
    if (firstUncovered && firstUncovered.sealed_at.getTime() < Date.now() - graceMs)
      return fail("checkpoint_overdue", Number(firstUncovered.seq));
  }

  // 3. The walk, from the genesis or from the last verified checkpoint.
  let from = 0;
  let fromHash: string | null = null;
  if (options.incremental && structureIntact) {
    const last = await db.auditVerification.findUnique({ where: { chainKey } });
    // Only a position that a valid checkpoint vouches for (the row itself is not evidence).
    if (last && expected.get(Number(last.seq)) === last.hash) {
      from = Number(last.seq);
      fromHash = last.hash;
    }
  }
  const verifier = new ChainVerifier({
    from: fromHash ? { seq: from, hash: fromHash } : undefined,
    checkpoints: expected,
  });
  // Paged by seq through the unique index. Without that index (a superuser dropped it to put a second
  // seal at one position), paged by (seq, event_id), so that a duplicate reaches the verifier.
  let after = { seq: BigInt(from), eventId: 9_223_372_036_854_775_807n }; // after every seal at `from`
  for (;;) {
    const rows = await db.$queryRawUnsafe<SealRow[]>(
      unique
        ? `SELECT s.event_id, s.seq, s.prev_hash, s.hash, ${EVENT_COLUMNS}
           FROM audit_seal s LEFT JOIN audit_event e ON e.id = s.event_id
           WHERE s.chain_key = $1 AND s.seq > $2
           ORDER BY s.seq LIMIT ${PAGE}`
        : `SELECT s.event_id, s.seq, s.prev_hash, s.hash, ${EVENT_COLUMNS}
           FROM audit_seal s LEFT JOIN audit_event e ON e.id = s.event_id
           WHERE s.chain_key = $1 AND s.seq >= $2 AND (s.seq, s.event_id) > ($2::bigint, $3::bigint)
           ORDER BY s.seq, s.event_id LIMIT ${PAGE}`,
      chainKey,
      after.seq,
      ...(unique ? [] : [after.eventId]),
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
    const last = rows[rows.length - 1]!;
    after = { seq: last.seq, eventId: last.event_id };
  }
  verifier.end(latest?.seq ?? 0);
  const verdict = verifier.verdict();
  const events = from + verdict.events;
  if (!verdict.ok) {
    return { ...verdict, events, ...extra, ...coverage(from, verdict.firstBadEvent.seq - 1) };
  }
  if (keyForks(keys).length) return fail("forked_key_history", null, "", events, from);
  const [orphan] = await db.$queryRaw<{ id: bigint }[]>`
    SELECT e.id FROM audit_event e, audit_chain_state st
    WHERE st.id = 1 AND e.workspace_id = ${workspaceId}
      AND (e.xid, e.id) <= (st.last_xid::text::xid8, st.last_id)
      AND NOT EXISTS (SELECT 1 FROM audit_seal s WHERE s.event_id = e.id)
    ORDER BY e.id LIMIT 1`;
  if (orphan) {
    return {
      ok: false,
      events,
      ...extra,
      firstBadEvent: { id: orphan.id.toString(), seq: null, problem: "unsealed_event" },
      ...coverage(from, headSeq),
    };
  }
  const first = invalid[0];
  if (first) return fail(first.problem, first.seq, "", events, from);
  if (latest) {
    await db.auditVerification.upsert({
      where: { chainKey },
      create: { chainKey, seq: latest.seq, hash: latest.hash, verifiedAt: new Date() },
      update: { seq: latest.seq, hash: latest.hash, verifiedAt: new Date() },
    });
  }
  return { ok: true, events, ...extra, ...coverage(from, headSeq) };
}
