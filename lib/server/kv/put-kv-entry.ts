import "server-only";
import { AppError } from "@/lib/core/errors";
import { canonicalJson, sha256Hex } from "@/lib/core/idempotency";
import { decideTtl, type Precondition } from "@/lib/core/kv";
import type { Actor } from "../audit";
import type { Sql } from "../pg";
import { resolveNamespace } from "./resolve-namespace";

export type PutResult = { namespace: string; key: string; version: number; expiresAt: Date | null; created: boolean };

const KV_PUT = `SELECT * FROM kv_put($1, $2, $3, $4::jsonb, $5, $6, $7, $8, $9::actor_type, $10, $11, $12, $13, $14, $15::jsonb,
                                     $16, $17, $18, $19)`;

type PutInput = {
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
};

export type Idempotency = { identityId: string; key: string; fingerprint: string; expiresAt: Date };

type KvPutRow = { outcome: "written" | "refused" | "taken"; version: number; expires_at: Date | null; body: string };

/**
 * One call of the `kv_put` database function (migration 20261125231000): the
 * write, its audit event and — with an idempotency key — the claim and the
 * stored response, in one statement. `refused` and `taken` wrote nothing.
 */
async function callKvPut(sql: Sql, input: PutInput, idempotency: Idempotency | null): Promise<KvPutRow> {
  const value = JSON.stringify(input.value);
  const { actor, precondition } = input;
  const [row] = await sql.query<KvPutRow>(KV_PUT, [
    input.workspaceId,
    input.namespace,
    input.key,
    value,
    input.ttlSeconds ?? null,
    precondition.kind,
    precondition.kind === "match" ? precondition.version : null,
    input.now,
    actor.type,
    actor.id,
    actor.name,
    input.reason,
    input.correlationId ?? null,
    input.requestId ?? null,
    // A hash of the value identifies it without storing it (versions and expiry are added by the function).
    JSON.stringify({
      valueSha256: sha256Hex(canonicalJson(input.value)),
      valueBytes: Buffer.byteLength(value),
      precondition,
    }),
    idempotency?.identityId ?? null,
    idempotency?.key ?? null,
    idempotency?.fingerprint ?? null,
    idempotency?.expiresAt ?? null,
  ]);
  return row!;
}

/**
 * One conditional statement per write, so concurrent writers are decided by
 * PostgreSQL's row lock: of 50 writers with the same If-Match, exactly one
 * matches. An expired entry counts as absent: writing it starts again at
 * version 1. The audit event commits with the write. A refusal is explained
 * here, after the fact: no namespace (404), a TTL above its maximum (422),
 * or the precondition (412).
 */
export async function putKvEntry(sql: Sql, input: PutInput): Promise<PutResult> {
  const row = await callKvPut(sql, input, null);
  if (row.outcome !== "written") throw await explainRefusal(sql, input);
  return {
    namespace: input.namespace,
    key: input.key,
    version: row.version,
    expiresAt: row.expires_at,
    created: row.version === 1,
  };
}

/**
 * The agent API's hot path: a PUT with its Idempotency-Key in one statement.
 * `written` carries the response exactly as stored for replays; anything
 * else (a replay, a refusal) wrote nothing and is left to the general path.
 */
export async function putKvEntryOnce(
  sql: Sql,
  input: PutInput,
  idempotency: Idempotency | null,
): Promise<{ written: true; version: number; body: string } | { written: false }> {
  const row = await callKvPut(sql, input, idempotency);
  return row.outcome === "written" ? { written: true, version: row.version, body: row.body } : { written: false };
}

async function explainRefusal(sql: Sql, input: PutInput): Promise<AppError> {
  const ns = await resolveNamespace(sql, input.workspaceId, input.namespace).catch((error: AppError) => error);
  if (ns instanceof AppError) return ns;
  const ttl = decideTtl(input.ttlSeconds, ns);
  if (!ttl.ok)
    return new AppError("ttl_exceeds_policy", ttl.message, { namespace: ns.name, maxTtlSeconds: ttl.maxTtlSeconds });
  return new AppError(
    "version_conflict",
    input.precondition.kind === "absent"
      ? "the key already exists (If-None-Match: *)"
      : "the key's version does not match If-Match",
    { namespace: ns.name, key: input.key, currentVersion: await currentVersion(sql, ns.id, input.key, input.now) },
  );
}

export async function currentVersion(sql: Sql, namespaceId: string, key: string, now: Date): Promise<number | null> {
  const [live] = await sql.query<{ version: number }>(
    `SELECT version FROM kv_entry WHERE namespace_id = $1 AND key = $2 AND (expires_at IS NULL OR expires_at > $3)`,
    [namespaceId, key, now],
  );
  return live?.version ?? null;
}
