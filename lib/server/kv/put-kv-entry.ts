import "server-only";
import { AppError } from "@/lib/core/errors";
import { canonicalJson, sha256Hex } from "@/lib/core/idempotency";
import { decideTtl, type Precondition } from "@/lib/core/kv";
import type { Actor } from "../audit";
import type { Sql } from "../db";
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

type KvPutRow = { outcome: "written" | "refused"; version: number; expires_at: Date | null };

/**
 * One call of the `kv_put` database function (migration 20261125231000): the
 * write and its audit event in one statement; `refused` wrote nothing. (Its
 * idempotency claim serves `agent_kv_put`; the general path's calls have theirs
 * from runIdempotent.)
 */
async function callKvPut(sql: Sql, input: PutInput): Promise<KvPutRow> {
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
    auditDetails(input.value, value, precondition),
    // The agent API's idempotency is its own (runIdempotent, or agent_kv_put on the hot path).
    null,
    null,
    null,
    null,
  ]);
  return row!;
}

/** A hash of the value identifies it without storing it (versions and expiry are added by the function). */
function auditDetails(value: unknown, valueText: string, precondition: Precondition): string {
  return JSON.stringify({
    valueSha256: sha256Hex(canonicalJson(value)),
    valueBytes: Buffer.byteLength(valueText),
    precondition,
  });
}

const AGENT_KV_PUT = `SELECT * FROM agent_kv_put($1, $2, $3, $4, $5, $6, $7, $8::jsonb, $9, $10, $11, $12, $13, $14, $15::jsonb,
                                             $16, $17, $18)`;

type AgentKvPutRow = {
  entry_version: number;
  response: string;
  key_id: string;
  key_last_used_at: Date | null;
  zone: string;
  request_limit: number | null;
  requests_used: string | null;
};

export type GuardedPut = {
  version: number;
  /** The response body, as stored for replays. */
  body: string;
  credential: { id: string; lastUsedAt: Date | null };
  timeZone: string;
  /** The day's requests with this one, when the workspace has a limit (null without one). */
  requests: { limit: number | null; used: number | null };
};

/** PostgreSQL error code of agent_kv_put's roll-back: the call is left to the general path. */
const LEFT_TO_GENERAL_PATH = "BKV01";

/**
 * The agent API's guarded PUT as one statement (the `agent_kv_put` function,
 * migration 20261126000000): key, grant, budget units, write, audit event and
 * stored response — or nothing, and null: anything out of the ordinary (a
 * refusal, a replay, the day's first call, a degraded workspace) is the
 * general path's to decide and explain.
 */
export async function putKvGuarded(
  sql: Sql,
  input: Omit<PutInput, "workspaceId" | "actor"> & {
    keyHash: string;
    idempotency: { key: string; fingerprint: string; expiresAt: Date } | null;
    start: number;
    slots: { workspace: number; credential: number };
  },
): Promise<GuardedPut | null> {
  const value = JSON.stringify(input.value);
  const { precondition, idempotency } = input;
  let rows: AgentKvPutRow[];
  try {
    rows = await sql.query<AgentKvPutRow>(AGENT_KV_PUT, [
      input.keyHash,
      input.now,
      input.start,
      input.slots.workspace,
      input.slots.credential,
      input.namespace,
      input.key,
      value,
      input.ttlSeconds ?? null,
      precondition.kind,
      precondition.kind === "match" ? precondition.version : null,
      input.reason,
      input.correlationId ?? null,
      input.requestId ?? null,
      auditDetails(input.value, value, precondition),
      idempotency?.key ?? null,
      idempotency?.fingerprint ?? null,
      idempotency?.expiresAt ?? null,
    ]);
  } catch (error) {
    if ((error as { code?: string }).code === LEFT_TO_GENERAL_PATH) return null;
    throw error;
  }
  const row = rows[0];
  if (!row) return null;
  return {
    version: row.entry_version,
    body: row.response,
    credential: { id: row.key_id, lastUsedAt: row.key_last_used_at },
    timeZone: row.zone,
    requests: { limit: row.request_limit, used: row.requests_used === null ? null : Number(row.requests_used) },
  };
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
  const row = await callKvPut(sql, input);
  if (row.outcome !== "written") throw await explainRefusal(sql, input);
  return {
    namespace: input.namespace,
    key: input.key,
    version: row.version,
    expiresAt: row.expires_at,
    created: row.version === 1,
  };
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
