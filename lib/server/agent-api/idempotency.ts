import "server-only";
import { AppError, isAppError } from "@/lib/core/errors";
import { IDEMPOTENCY_RETENTION_SECONDS } from "@/lib/core/idempotency";
import { getDb, type Tx } from "../db";

/** `body` is the JSON text exactly as first sent. */
export type StoredResponse = { status: number; body: string; headers: Record<string, string> };

export type IdempotentOutcome<R> =
  | { kind: "executed"; result: R }
  | { kind: "refused"; error: AppError }
  | { kind: "replayed"; response: StoredResponse };

/** Agent transactions may wait for a pool connection or for a concurrent duplicate to finish. */
export const AGENT_TX_OPTIONS = { maxWait: 10_000, timeout: 20_000 } as const;

/**
 * Stripe-style idempotency in one transaction:
 *
 * 1. insert the record for (identity, key) — a concurrent duplicate's insert
 *    blocks on the unique index until the first transaction ends, then finds
 *    the committed record and replays it: a duplicate never executes twice;
 * 2. run the handler inside a savepoint: a refusal it decides (4xx) rolls back
 *    its changes but its response is still stored, as Stripe does;
 * 3. store the response in the same transaction as the mutation, so both
 *    commit together or not at all. A 5xx rolls everything back: not stored.
 */
export async function runIdempotent<R>(input: {
  identityId: string;
  key: string;
  fingerprint: string;
  now: Date;
  execute: (tx: Tx) => Promise<R>;
  toStored: (outcome: { result: R } | { error: AppError }) => StoredResponse;
}): Promise<IdempotentOutcome<R>> {
  const { identityId, key, fingerprint, now } = input;
  const expiresAt = new Date(now.getTime() + IDEMPOTENCY_RETENTION_SECONDS * 1000);
  return getDb().$transaction(async (tx) => {
    // One statement claims the key — new, or expired (an expired record no longer holds it).
    const claimed = await tx.$queryRaw<{ key: string }[]>`
      INSERT INTO idempotency_record (identity_id, key, fingerprint, response_status, response_body, created_at, expires_at)
      VALUES (${identityId}, ${key}, ${fingerprint}, 0, '', ${now}, ${expiresAt})
      ON CONFLICT (identity_id, key) DO UPDATE
        SET fingerprint = EXCLUDED.fingerprint, response_status = 0, response_body = '', response_headers = '{}',
            created_at = EXCLUDED.created_at, expires_at = EXCLUDED.expires_at
        WHERE idempotency_record.expires_at <= ${now}
      RETURNING key`;
    if (claimed.length === 0) {
      const existing = await tx.idempotencyRecord.findUnique({
        where: { identityId_key: { identityId, key } },
        select: { fingerprint: true, responseStatus: true, responseBody: true, responseHeaders: true },
      });
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
          status: existing.responseStatus,
          body: existing.responseBody,
          headers: existing.responseHeaders as Record<string, string>,
        },
      };
    }

    await tx.$executeRaw`SAVEPOINT idempotent_handler`;
    let outcome: IdempotentOutcome<R>;
    try {
      outcome = { kind: "executed", result: await input.execute(tx) };
    } catch (error) {
      if (!isAppError(error) || error.status >= 500) throw error;
      await tx.$executeRaw`ROLLBACK TO SAVEPOINT idempotent_handler`;
      outcome = { kind: "refused", error };
    }
    const stored = input.toStored(
      outcome.kind === "executed" ? { result: outcome.result } : { error: (outcome as { error: AppError }).error },
    );
    await tx.idempotencyRecord.update({
      where: { identityId_key: { identityId, key } },
      data: {
        responseStatus: stored.status,
        responseBody: stored.body,
        responseHeaders: stored.headers,
      },
    });
    return outcome;
  }, AGENT_TX_OPTIONS);
}
