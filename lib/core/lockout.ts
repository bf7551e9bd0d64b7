/**
 * Sign-in lockout: after `maxFailures` failed attempts for one email within
 * `windowMs`, further attempts are refused (even with the right password) until
 * the oldest of those failures leaves the window. A successful sign-in clears
 * the count, so callers pass only failures that happened after it.
 */
export const LOCKOUT_MAX_FAILURES = 5;
export const LOCKOUT_WINDOW_MS = 15 * 60 * 1000;

export type LockoutDecision =
  { locked: false; failures: number; remaining: number } | { locked: true; failures: number; lockedUntil: Date };

export function evaluateLockout(input: {
  /** Failure times since the last success, any order. */
  failures: readonly Date[];
  now: Date;
  maxFailures?: number;
  windowMs?: number;
}): LockoutDecision {
  const maxFailures = input.maxFailures ?? LOCKOUT_MAX_FAILURES;
  const windowMs = input.windowMs ?? LOCKOUT_WINDOW_MS;
  const windowStart = input.now.getTime() - windowMs;
  const recent = input.failures
    .map((at) => at.getTime())
    // No upper bound: a failure stamped slightly "in the future" (clock skew between
    // app and database) must still count.
    .filter((t) => t > windowStart)
    .sort((a, b) => b - a);

  if (recent.length >= maxFailures) {
    // The lock lifts when the maxFailures-th most recent failure ages out.
    const pivot = recent[maxFailures - 1]!;
    return { locked: true, failures: recent.length, lockedUntil: new Date(pivot + windowMs) };
  }
  return { locked: false, failures: recent.length, remaining: maxFailures - recent.length };
}
