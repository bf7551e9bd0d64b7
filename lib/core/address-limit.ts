/**
 * Sign-in attempts per client address: at most `limit` in each fixed window
 * (a calendar minute by default), counted before any password is hashed, so a
 * flood of attempts with fresh emails from one address costs one cheap
 * statement each instead of a bcrypt hash. The per-email lockout
 * (lockout.ts) still applies to the attempts this lets through.
 *
 * A fixed window, not a sliding one: the counter is one row per address that a
 * single conditional statement increments, exact under any concurrency and
 * across app instances. Its price is that a burst straddling two windows may
 * see up to twice the limit within 60 seconds — still a bound.
 */
/** The default; `SIGN_IN_ATTEMPTS_PER_MINUTE` (lib/env.ts) sets another. */
export const SIGN_IN_ATTEMPTS_PER_ADDRESS = 20;
export const SIGN_IN_ADDRESS_WINDOW_MS = 60 * 1000;

/** The window `now` falls in: its start is what the counter row is keyed on. */
export function addressWindowStart(now: Date, windowMs: number = SIGN_IN_ADDRESS_WINDOW_MS): Date {
  return new Date(Math.floor(now.getTime() / windowMs) * windowMs);
}

export type AddressLimitDecision =
  | { allowed: true; attempts: number; remaining: number; resetAt: Date }
  | {
      allowed: false;
      attempts: number;
      resetAt: Date;
      /** The first refusal of this window: the one worth an audit event (the rest would only flood the trail). */
      firstRefusal: boolean;
    };

/** Decides on one attempt, given the address's count in its window including this attempt. */
export function evaluateAddressAttempt(input: {
  attempts: number;
  windowStart: Date;
  limit?: number;
  windowMs?: number;
}): AddressLimitDecision {
  const limit = input.limit ?? SIGN_IN_ATTEMPTS_PER_ADDRESS;
  const resetAt = new Date(input.windowStart.getTime() + (input.windowMs ?? SIGN_IN_ADDRESS_WINDOW_MS));
  if (input.attempts <= limit) {
    return { allowed: true, attempts: input.attempts, remaining: limit - input.attempts, resetAt };
  }
  return { allowed: false, attempts: input.attempts, resetAt, firstRefusal: input.attempts === limit + 1 };
}
