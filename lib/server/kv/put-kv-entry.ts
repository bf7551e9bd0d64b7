import "server-only";
import { AppError } from "@/lib/core/errors";
import { canonicalJson, sha256Hex } from "@/lib/core/idempotency";
import { decideTtl, type Precondition } from "@/lib/core/kv";
import { writeAudit, type Actor } from "../audit";
import type { Tx } from "../db";
import { resolveNamespace } from "./resolve-namespace";

export type PutResult = { namespace: string; key: string; version: number; expiresAt: Date | null; created: boolean };

type Row = { version: number; expires_at: Date | null };

/**
 * One conditional statement per precondition, so concurrent writers are
 * decided by PostgreSQL's row lock: of 50 writers with the same If-Match,
 * exactly one matches. An expired entry counts as absent: writing it starts
 * again at version 1. The audit event commits with the write.
 */
export async function putKvEntry(
  tx: Tx,
  input: {
    workspaceId: string;
    namespace: string;
    key: string;
    value: unknown;
    ttlSeconds?: number;
    precondition: Precondition;
    actor: Actor;
    reason: string | null;
    correlationId?: string | null;
    requestId?: string | null;
    now: Date;
  },
): Promise<PutResult> {
  const ns = await resolveNamespace(tx, input.workspaceId, input.namespace);
  const ttl = decideTtl(input.ttlSeconds, ns);
  if (!ttl.ok)
    throw new AppError("ttl_exceeds_policy", ttl.message, { namespace: ns.name, maxTtlSeconds: ttl.maxTtlSeconds });
  const expiresAt = ttl.ttlSeconds === null ? null : new Date(input.now.getTime() + ttl.ttlSeconds * 1000);
  const value = JSON.stringify(input.value);
  const { now, actor } = input;

  let rows: Row[];
  if (input.precondition.kind === "match") {
    rows = await tx.$queryRaw<Row[]>`
      UPDATE kv_entry SET value = ${value}::jsonb, version = version + 1, expires_at = ${expiresAt}, updated_at = ${now},
             updated_by_type = ${actor.type}::actor_type, updated_by_id = ${actor.id}, updated_by_name = ${actor.name}, update_reason = ${input.reason}
      WHERE namespace_id = ${ns.id} AND key = ${input.key} AND version = ${input.precondition.version}
        AND (expires_at IS NULL OR expires_at > ${now})
      RETURNING version, expires_at`;
  } else {
    // Without If-None-Match an existing live entry is updated; with it, only an absent (or expired) one is written.
    const onlyIfAbsent = input.precondition.kind === "absent";
    rows = await tx.$queryRaw<Row[]>`
      INSERT INTO kv_entry (namespace_id, key, workspace_id, value, version, expires_at, created_at, updated_at,
                            updated_by_type, updated_by_id, updated_by_name, update_reason)
      VALUES (${ns.id}, ${input.key}, ${input.workspaceId}, ${value}::jsonb, 1, ${expiresAt}, ${now}, ${now},
              ${actor.type}::actor_type, ${actor.id}, ${actor.name}, ${input.reason})
      ON CONFLICT (namespace_id, key) DO UPDATE SET
        value = EXCLUDED.value,
        version = CASE WHEN kv_entry.expires_at IS NOT NULL AND kv_entry.expires_at <= ${now} THEN 1 ELSE kv_entry.version + 1 END,
        created_at = CASE WHEN kv_entry.expires_at IS NOT NULL AND kv_entry.expires_at <= ${now} THEN ${now} ELSE kv_entry.created_at END,
        expires_at = EXCLUDED.expires_at, updated_at = EXCLUDED.updated_at, updated_by_type = EXCLUDED.updated_by_type,
        updated_by_id = EXCLUDED.updated_by_id, updated_by_name = EXCLUDED.updated_by_name, update_reason = EXCLUDED.update_reason
      WHERE NOT ${onlyIfAbsent} OR (kv_entry.expires_at IS NOT NULL AND kv_entry.expires_at <= ${now})
      RETURNING version, expires_at`;
  }

  const row = rows[0];
  if (!row) {
    const current = await currentVersion(tx, ns.id, input.key, now);
    throw new AppError(
      "version_conflict",
      input.precondition.kind === "absent"
        ? "the key already exists (If-None-Match: *)"
        : "the key's version does not match If-Match",
      { namespace: ns.name, key: input.key, currentVersion: current },
    );
  }
  const created = row.version === 1;
  await writeAudit(tx, {
    workspaceId: input.workspaceId,
    actor,
    action: "kv.put",
    namespace: ns.name,
    target: input.key,
    reason: input.reason,
    correlationId: input.correlationId,
    requestId: input.requestId,
    // A hash of the value identifies it without storing it.
    details: {
      versionBefore: created ? null : row.version - 1,
      versionAfter: row.version,
      valueSha256: sha256Hex(canonicalJson(input.value)),
      valueBytes: Buffer.byteLength(value),
      expiresAt: row.expires_at,
      precondition: input.precondition,
    },
  });
  return { namespace: ns.name, key: input.key, version: row.version, expiresAt: row.expires_at, created };
}

export async function currentVersion(tx: Tx, namespaceId: string, key: string, now: Date): Promise<number | null> {
  const live = await tx.kvEntry.findFirst({
    where: { namespaceId, key, OR: [{ expiresAt: null }, { expiresAt: { gt: now } }] },
    select: { version: true },
  });
  return live?.version ?? null;
}
