import "server-only";
import { AppError } from "@/lib/core/errors";
import { canonicalJson, sha256Hex } from "@/lib/core/idempotency";
import { decideTtl, type Precondition } from "@/lib/core/kv";
import type { Actor } from "../audit";
import { auditInsertSelect, auditParams } from "../audit-sql";
import type { Sql } from "../pg";
import { resolveNamespace } from "./resolve-namespace";

export type PutResult = { namespace: string; key: string; version: number; expiresAt: Date | null; created: boolean };

type Row = { version: number; expires_at: Date | null };

// $1 namespace, $2 key, $3 now, $4 value, $5 expires at, $6–$8 actor, $9 reason; then $10 the version If-Match names.
const UPDATE_IF_VERSION = `
  UPDATE kv_entry SET value = $4::jsonb, version = version + 1, expires_at = $5, updated_at = $3,
         updated_by_type = $6::actor_type, updated_by_id = $7, updated_by_name = $8, update_reason = $9
  WHERE namespace_id = $1 AND key = $2 AND version = $10::int AND (expires_at IS NULL OR expires_at > $3)
  RETURNING version, expires_at`;

// Then $10 the workspace, $11 If-None-Match: without it an existing live entry is updated; with it, only an absent (or expired) one is written.
const UPSERT = `
  INSERT INTO kv_entry (namespace_id, key, workspace_id, value, version, expires_at, created_at, updated_at,
                        updated_by_type, updated_by_id, updated_by_name, update_reason)
  VALUES ($1, $2, $10, $4::jsonb, 1, $5, $3, $3, $6::actor_type, $7, $8, $9)
  ON CONFLICT (namespace_id, key) DO UPDATE SET
    value = EXCLUDED.value,
    version = CASE WHEN kv_entry.expires_at IS NOT NULL AND kv_entry.expires_at <= $3 THEN 1 ELSE kv_entry.version + 1 END,
    created_at = CASE WHEN kv_entry.expires_at IS NOT NULL AND kv_entry.expires_at <= $3 THEN $3 ELSE kv_entry.created_at END,
    expires_at = EXCLUDED.expires_at, updated_at = EXCLUDED.updated_at, updated_by_type = EXCLUDED.updated_by_type,
    updated_by_id = EXCLUDED.updated_by_id, updated_by_name = EXCLUDED.updated_by_name, update_reason = EXCLUDED.update_reason
  WHERE NOT $11::boolean OR (kv_entry.expires_at IS NOT NULL AND kv_entry.expires_at <= $3)
  RETURNING version, expires_at`;

// The write and its audit event in one statement: the event records the versions the write produced.
const WRITTEN = `jsonb_build_object(
  'versionBefore', CASE WHEN w.version = 1 THEN NULL ELSE w.version - 1 END, 'versionAfter', w.version,
  'expiresAt', to_char(w.expires_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))`;
const audited = (write: string, auditFrom: number) =>
  `WITH w AS (${write}), a AS (${auditInsertSelect(auditFrom, "w", WRITTEN)}) SELECT version, expires_at FROM w`;
const UPDATE_IF_VERSION_AUDITED = audited(UPDATE_IF_VERSION, 11);
const UPSERT_AUDITED = audited(UPSERT, 12);

/**
 * One conditional statement per precondition, so concurrent writers are
 * decided by PostgreSQL's row lock: of 50 writers with the same If-Match,
 * exactly one matches. An expired entry counts as absent: writing it starts
 * again at version 1. The audit event is written by the same statement.
 */
export async function putKvEntry(
  sql: Sql,
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
  const ns = await resolveNamespace(sql, input.workspaceId, input.namespace);
  const ttl = decideTtl(input.ttlSeconds, ns);
  if (!ttl.ok)
    throw new AppError("ttl_exceeds_policy", ttl.message, { namespace: ns.name, maxTtlSeconds: ttl.maxTtlSeconds });
  const expiresAt = ttl.ttlSeconds === null ? null : new Date(input.now.getTime() + ttl.ttlSeconds * 1000);
  const value = JSON.stringify(input.value);
  const { now, actor } = input;

  const audit = auditParams({
    workspaceId: input.workspaceId,
    actor,
    action: "kv.put",
    namespace: ns.name,
    target: input.key,
    reason: input.reason,
    correlationId: input.correlationId,
    requestId: input.requestId,
    // A hash of the value identifies it without storing it (versions and expiry are added by the statement).
    details: {
      valueSha256: sha256Hex(canonicalJson(input.value)),
      valueBytes: Buffer.byteLength(value),
      precondition: input.precondition,
    },
  });
  const values = [ns.id, input.key, now, value, expiresAt, actor.type, actor.id, actor.name, input.reason];
  const rows =
    input.precondition.kind === "match"
      ? await sql.query<Row>(UPDATE_IF_VERSION_AUDITED, [...values, input.precondition.version, ...audit])
      : await sql.query<Row>(UPSERT_AUDITED, [
          ...values,
          input.workspaceId,
          input.precondition.kind === "absent",
          ...audit,
        ]);

  const row = rows[0];
  if (!row) {
    const current = await currentVersion(sql, ns.id, input.key, now);
    throw new AppError(
      "version_conflict",
      input.precondition.kind === "absent"
        ? "the key already exists (If-None-Match: *)"
        : "the key's version does not match If-Match",
      { namespace: ns.name, key: input.key, currentVersion: current },
    );
  }
  const created = row.version === 1;
  return { namespace: ns.name, key: input.key, version: row.version, expiresAt: row.expires_at, created };
}

export async function currentVersion(sql: Sql, namespaceId: string, key: string, now: Date): Promise<number | null> {
  const [live] = await sql.query<{ version: number }>(
    `SELECT version FROM kv_entry WHERE namespace_id = $1 AND key = $2 AND (expires_at IS NULL OR expires_at > $3)`,
    [namespaceId, key, now],
  );
  return live?.version ?? null;
}
