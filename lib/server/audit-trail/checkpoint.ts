import "server-only";
import { keyRecord, signCheckpoint, type Checkpoint } from "@/lib/core/audit-checkpoint";
import { env } from "@/lib/env";
import { logger } from "../logger";
import { pgTransaction, type Sql } from "../db";
import { appendAnchor, currentSigner, readAnchors, sendAnchorWebhook, type Signer } from "./signing-key";

const CHECKPOINT_LOCK_KEY = 72707376;

/** Keys whose record this process has seen in the database and the anchor file. */
const recorded = new Set<string>();
let warnedNoKey = false;

/**
 * A key signs nothing before its record is anchored and stored: the first key's record is its own
 * (no predecessor); a rotated key's record, with both signatures, is written by `audit key rotate`.
 */
async function ensureKeyRecorded(sql: Sql, signer: Signer, now: Date): Promise<void> {
  if (recorded.has(signer.keyId)) return;
  const known = await sql.query<{ key_id: string }>(`SELECT key_id FROM audit_signing_key`);
  const stored = known.find((k) => k.key_id === signer.keyId);
  // A host that generated a key of its own (no AUDIT_SIGNING_KEY, a fresh .data/) must not sign this
  // installation's chains: its checkpoints would stand in the append-only table as "another key".
  if (!stored && known.length > 0)
    throw new Error(
      `the audit signing key ${signer.keyId} is not this installation's (its keys: ${known.map((k) => k.key_id).join(", ")}): ` +
        "set AUDIT_SIGNING_KEY to the installation's key, or rotate with `audit key rotate`",
    );
  const anchored = readAnchors().keys.some((k) => k.keyId === signer.keyId);
  if (!stored || !anchored) {
    const record = keyRecord(signer.privateKey, now.toISOString());
    if (!anchored) {
      appendAnchor({ type: "key", ...record });
      await sendAnchorWebhook({ type: "key", ...record });
    }
    if (!stored) await insertKeyRecord(sql, record);
  }
  recorded.add(signer.keyId);
}

export async function insertKeyRecord(sql: Sql, record: ReturnType<typeof keyRecord>): Promise<void> {
  await sql.query(
    `INSERT INTO audit_signing_key (key_id, public_key, created_at, previous_key_id, previous_signature, signature)
     VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (key_id) DO NOTHING`,
    [record.keyId, record.publicKey, record.at, record.previousKeyId, record.previousSignature, record.signature],
  );
}

/**
 * Signs and anchors the heads of the chains that are due: with events that no checkpoint covers for
 * AUDIT_CHECKPOINT_INTERVAL_SECONDS, or AUDIT_CHECKPOINT_EVENTS of them (the chainer queues them in
 * audit_chain_pending as it seals). `chainKey` with `force`: that chain's head now, due or not
 * (`audit checkpoint`). The head signed is read from the seals themselves. Each checkpoint is written
 * to the anchor file first, then stored; then sent to the anchor webhook, if any.
 *
 * One instance at a time (transaction-level advisory lock); `wait` waits for it instead of skipping.
 */
export async function makeCheckpoints(
  options: { chainKey?: string; force?: boolean; wait?: boolean; now?: Date } = {},
): Promise<Checkpoint[]> {
  const signer = currentSigner();
  if (!signer) {
    if (!warnedNoKey) logger.warn("AUDIT_SIGNING_KEY is not set: audit checkpoints are not signed or anchored");
    warnedNoKey = true;
    return [];
  }
  const now = options.now ?? new Date();
  const made = await pgTransaction(async (sql) => {
    if (options.wait) await sql.query(`SELECT pg_advisory_xact_lock($1)`, [CHECKPOINT_LOCK_KEY]);
    else {
      const [lock] = await sql.query<{ locked: boolean }>(`SELECT pg_try_advisory_xact_lock($1) AS locked`, [
        CHECKPOINT_LOCK_KEY,
      ]);
      if (!lock?.locked) return [];
    }
    const chains = options.force && options.chainKey
      ? [options.chainKey]
      : (
          await sql.query<{ chain_key: string }>(
            `SELECT p.chain_key FROM audit_chain_pending p
             WHERE ($1::text IS NULL OR p.chain_key = $1)
               AND (p.since <= $2 OR p.seq - COALESCE(
                     (SELECT c.seq FROM audit_checkpoint c WHERE c.chain_key = p.chain_key ORDER BY c.seq DESC LIMIT 1),
                     0) >= $3)
             ORDER BY p.since LIMIT 1000`,
            [
              options.chainKey ?? null,
              new Date(now.getTime() - env().AUDIT_CHECKPOINT_INTERVAL_SECONDS * 1000),
              env().AUDIT_CHECKPOINT_EVENTS,
            ],
          )
        ).map((r) => r.chain_key);
    if (chains.length === 0) return [];
    await ensureKeyRecorded(sql, signer, now);
    const checkpoints: Checkpoint[] = [];
    for (const chain of chains) {
      const [head] = await sql.query<{ seq: string; hash: string }>(
        `SELECT seq, hash FROM audit_seal WHERE chain_key = $1 ORDER BY seq DESC LIMIT 1`,
        [chain],
      );
      if (!head) continue;
      const checkpoint = signCheckpoint(signer.privateKey, {
        chain,
        seq: Number(head.seq),
        hash: head.hash,
        at: now.toISOString(),
        keyId: signer.keyId,
      });
      appendAnchor({ type: "checkpoint", ...checkpoint });
      await sql.query(
        `INSERT INTO audit_checkpoint (chain_key, seq, hash, created_at, key_id, signature)
         VALUES ($1, $2, $3, $4, $5, $6)`,
        [chain, checkpoint.seq, checkpoint.hash, now, checkpoint.keyId, checkpoint.signature],
      );
      await sql.query(`DELETE FROM audit_chain_pending WHERE chain_key = $1 AND seq <= $2`, [chain, checkpoint.seq]);
      checkpoints.push(checkpoint);
    }
    return checkpoints;
  });
  for (const checkpoint of made) await sendAnchorWebhook({ type: "checkpoint", ...checkpoint });
  return made;
}
