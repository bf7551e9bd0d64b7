import "server-only";
import { AppError, isAppError } from "@/lib/core/errors";
import { IDEMPOTENCY_RETENTION_SECONDS } from "@/lib/core/idempotency";
import { BUSY_TX_OPTIONS, type Sql } from "../db";

/** `body` is the JSON text exactly as first sent. */
export type StoredResponse = { status: number; body: string; headers: Record<string, string> };

export type IdempotentOutcome<R> =
  | { kind: "executed"; result: R }
  | { kind: "refused"; error: AppError }
  | { kind: "replayed"; response: StoredResponse };

/** Agent transactions may wait for a pool connection or for a concurrent duplicate to finish. */
export const AGENT_TX_OPTIONS = BUSY_TX_OPTIONS;

/** Opens the mutation's transaction and hands `fn` the handler's connection `C` and plain SQL on the same transaction. */
export type Transaction<C> = <T>(fn: (connection: C, sql: Sql) => Promise<T>) => Promise<T>;

// The claim and the store are the database's (prisma/sql/idempotency_claim.sql, idempotency_store.sql):
// the one-statement PUT makes the same two calls.
const CLAIM = `SELECT idempotency_claim($1, $2, $3, $4, $5) AS claimed`;

const EXISTING = `
  SELECT fingerprint, response_status, response_body, response_headers
  FROM idempotency_record WHERE identity_id = $1 AND key = $2`;

const STORE = `SELECT 1 AS stored FROM idempotency_store($1, $2, $3, $4, $5::jsonb)`;

/**
 * Stripe-style idempotency in one transaction:
 *
 * 1. insert the record for (identity, key) — a concurrent duplicate's insert
 *    blocks on the unique index until the first transaction ends, then finds
 *    the committed record and replays it: a duplicate never executes twice;
 * 2. run the handler (inside a savepoint unless it refuses before writing):
 *    a refusal it decides (4xx) rolls back its changes but its response is
 *    still stored, as Stripe does;
 * 3. store the response in the same transaction as the mutation, so both
 *    commit together or not at all. A 5xx rolls everything back: not stored.
 */
export async function runIdempotent<R, C>(input: {
  identityId: string;
  key: string;
  fingerprint: string;
  now: Date;
  transaction: Transaction<C>;
  /** The handler decides every refusal before its first write (one conditional statement): no savepoint needed. */
  refusesBeforeWriting: boolean;
  execute: (connection: C) => Promise<R>;
  toStored: (outcome: { result: R } | { error: AppError }) => StoredResponse;
}): Promise<IdempotentOutcome<R>> {
  const { identityId, key, fingerprint, now } = input;
  const expiresAt = new Date(now.getTime() + IDEMPOTENCY_RETENTION_SECONDS * 1000);
  return input.transaction(async (connection, sql) => {
    // One statement claims the key — new, or expired (an expired record no longer holds it).
    const [claim] = await sql.query<{ claimed: boolean }>(CLAIM, [identityId, key, fingerprint, now, expiresAt]);
    if (!claim?.claimed) {
      const [existing] = await sql.query<{
        fingerprint: string;
        response_status: number;
        response_body: string;
        response_headers: Record<string, string>;
      }>(EXISTING, [identityId, key]);
      if (!existing)
        throw new AppError(
          "idempotency_in_progress",
          "a request with this Idempotency-Key is still running; retry shortly",
        );
      if (existing.fingerprint !== fingerprint) {
        throw new AppError("idempotency_key_reused", "this Idempotency-Key was used for a different request", {
          idempotencyKey: key,
        });
      }
      return {
        kind: "replayed" as const,
        response: {
          status: existing.response_status,
          body: existing.response_body,
          headers: existing.response_headers,
        },
      };
    }

    const savepoint = !input.refusesBeforeWriting;
    if (savepoint) await sql.query("SAVEPOINT idempotent_handler");
    let outcome: IdempotentOutcome<R>;
    try {
      outcome = { kind: "executed", result: await input.execute(connection) };
    } catch (error) {
      // 5xx and 429 are not stored (API.md): a retry must run again — later, a 429 may be admitted.
      if (!isAppError(error) || error.status >= 500 || error.status === 429) throw error;
      if (savepoint) await sql.query("ROLLBACK TO SAVEPOINT idempotent_handler");
      outcome = { kind: "refused", error };
    }
    const stored = input.toStored(
      outcome.kind === "executed" ? { result: outcome.result } : { error: (outcome as { error: AppError }).error },
    );
    await sql.query(STORE, [identityId, key, stored.status, stored.body, JSON.stringify(stored.headers)]);
    return outcome;
  });
}
