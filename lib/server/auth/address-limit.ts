import "server-only";
import { addressWindowStart, evaluateAddressAttempt, type AddressLimitDecision } from "@/lib/core/address-limit";
import { addressLimitKey } from "@/lib/core/client-address";
import type { Tx } from "../db";

/** Where the address is unknown (see client-address.ts), all attempts share this one budget: fail closed. */
export const UNKNOWN_ADDRESS = "unknown";

/** Each attempt removes at most this many rows of past windows: no job of its own, and the table stays small. */
const STALE_ROWS_PER_ATTEMPT = 10;

/**
 * Counts one sign-in attempt against its client address's window and decides
 * (lib/core/address-limit.ts). One statement: the upsert increments the
 * address's row, starting it afresh when the row is of an earlier window, so
 * concurrent attempts on any number of instances each get a distinct count and
 * exactly `limit` of them are allowed. A clock behind the row's window counts
 * in the row's (newer) window rather than resetting it.
 */
export async function takeSignInAttempt(
  db: Tx,
  address: string,
  now: Date,
  limit: number,
): Promise<AddressLimitDecision & { key: string }> {
  const key = addressLimitKey(address);
  const windowStart = addressWindowStart(now);
  const [row] = await db.$queryRaw<{ attempts: number; window_start: Date }[]>`
    WITH stale AS (
      DELETE FROM sign_in_address_window WHERE address IN (
        SELECT address FROM sign_in_address_window
        WHERE window_start < ${windowStart} AND address <> ${key}
        LIMIT ${STALE_ROWS_PER_ATTEMPT} FOR UPDATE SKIP LOCKED))
    INSERT INTO sign_in_address_window AS w (address, window_start, attempts)
    VALUES (${key}, ${windowStart}, 1)
    ON CONFLICT (address) DO UPDATE SET
      attempts = CASE WHEN w.window_start < EXCLUDED.window_start THEN 1 ELSE w.attempts + 1 END,
      window_start = GREATEST(w.window_start, EXCLUDED.window_start)
    RETURNING attempts, window_start`;
  return { key, ...evaluateAddressAttempt({ attempts: row!.attempts, windowStart: row!.window_start, limit }) };
}
