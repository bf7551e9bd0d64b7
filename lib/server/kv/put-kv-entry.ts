import "server-only";
import { AppError } from "@/lib/core/errors";
import { canonicalJson, sha256Hex } from "@/lib/core/idempotency";
import type { Precondition } from "@/lib/core/kv";
import { auditDetailsJson, type Actor } from "../audit";
import { LEFT_TO_GENERAL_PATH, type Sql } from "../db";
import { namespaceNotFound } from "./resolve-namespace";
import { writeParams } from "./write-params";

/** `body` is the response as the database rendered it (prisma/sql/kv_put.sql), sent and stored as is. */
export type PutResult = { status: 200 | 201; version: number; expiresAt: Date | null; body: string };

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

type KvPutRow = {
  outcome: "written" | "no_namespace" | "ttl_exceeds_policy" | "version_conflict";
  status: number;
  version: number | null;
  expires_at: Date | null;
  body: string | null;
  max_ttl_seconds: number | null;
  current_version: number | null;
};

const KV_PUT = `SELECT * FROM kv_put($1, $2, $3, $4::jsonb, $5, $6, $7, $8, $9::actor_type, $10, $11, $12, $13, $14, $15::jsonb)`;

/**
 * A KV write: one call of the database's `kv_put` (prisma/sql/kv_put.sql), which decides, writes
 * the entry and its audit event together, and renders the answer; a refusal wrote nothing and is
 * turned into its error here.
 */
export async function putKvEntry(sql: Sql, input: PutInput): Promise<PutResult> {
  const value = JSON.stringify(input.value);
  const [row] = await sql.query<KvPutRow>(KV_PUT, [
    input.workspaceId,
    input.namespace,
    input.key,
    value,
    input.ttlSeconds ?? null,
    ...writeParams(input),
    putAuditDetails(input.value, value, input.precondition),
  ]);
  if (row!.outcome === "written") {
    return { status: row!.status as 200 | 201, version: row!.version!, expiresAt: row!.expires_at, body: row!.body! };
  }
  throw refusal(row!, input);
}

function refusal(row: KvPutRow, input: PutInput): AppError {
  switch (row.outcome) {
    case "no_namespace":
      return namespaceNotFound(input.namespace);
    case "ttl_exceeds_policy":
      return new AppError(
        "ttl_exceeds_policy",
        `ttlSeconds ${input.ttlSeconds} exceeds this namespace's maximum of ${row.max_ttl_seconds}`,
        { namespace: input.namespace, maxTtlSeconds: row.max_ttl_seconds },
      );
    default:
      return new AppError(
        "version_conflict",
        input.precondition.kind === "absent"
          ? "the key already exists (If-None-Match: *)"
          : "the key's version does not match If-Match",
        { namespace: input.namespace, key: input.key, currentVersion: row.current_version },
      );
  }
}

/** A hash of the value identifies it without storing it (versions and expiry are added by kv_put). */
function putAuditDetails(value: unknown, valueText: string, precondition: Precondition): string {
  return auditDetailsJson({
    valueSha256: sha256Hex(canonicalJson(value)),
    valueBytes: Buffer.byteLength(valueText),
    precondition,
  });
}

const AGENT_KV_PUT = `SELECT * FROM agent_kv_put($1, $2, $3, $4::date, $5, $6, $7, $8, $9, $10, $11::jsonb, $12, $13, $14,
                                             $15, $16, $17, $18::jsonb, $19, $20, $21)`;

type AgentKvPutRow = {
  entry_version: number;
  entry_status: 200 | 201;
  response: string;
  key_last_used_at: Date | null;
  requests_used: string | null;
};

export type GuardedPut = {
  status: 200 | 201;
  version: number;
  /** The response body, as stored for replays. */
  body: string;
  keyLastUsedAt: Date | null;
  /** The day's requests with this one, when the workspace has a limit (null without one). */
  requestsUsed: number | null;
};


/**
 * The agent API's guarded PUT as one statement (prisma/sql/agent_kv_put.sql), on decisions the
 * caller took from a principal it remembers (`stamp`: principal_stamp when it was loaded): the
 * Idempotency-Key, the write, its audit event, the budget units and the stored response — or
 * nothing, and null: anything out of the ordinary is the general path's to decide and explain.
 */
export async function putKvGuarded(
  sql: Sql,
  input: Omit<PutInput, "workspaceId" | "actor"> & {
    keyHash: string;
    stamp: string;
    day: string;
    /** The first request total that is not normal mode (the degrade threshold); null without a limit. */
    normalBelow: number | null;
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
      input.stamp,
      input.now,
      input.day,
      input.normalBelow,
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
      putAuditDetails(input.value, value, precondition),
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
    status: row.entry_status,
    version: row.entry_version,
    body: row.response,
    keyLastUsedAt: row.key_last_used_at,
    requestsUsed: row.requests_used === null ? null : Number(row.requests_used),
  };
}
