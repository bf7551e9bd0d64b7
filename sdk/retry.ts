/** Client-side retry rules: pure functions, tested without a server. */

export type RetryOptions = {
  /** Total HTTP requests per call, the first included (default 4; 1 disables retries). */
  maxAttempts: number;
  /** Backoff before retry n is random in [0, min(maxDelayMs, baseDelayMs · 2^(n-1))] — "full jitter" (default 200). */
  baseDelayMs: number;
  /** Cap of the backoff window (default 10 000). */
  maxDelayMs: number;
  /**
   * A `Retry-After` longer than this is not waited for: the error is raised at
   * once with `retryAfter` set, for the caller to schedule (default 60 000).
   */
  maxRetryAfterMs: number;
  /**
   * Also retry 429 `budget_exhausted` / `write_ceiling_reached` when they carry
   * a `Retry-After` within `maxRetryAfterMs` (default false: a spent budget lasts
   * until the daily reset, so waiting in-process is rarely what you want).
   */
  retryBudgetErrors: boolean;
};

export const DEFAULT_RETRY: RetryOptions = {
  maxAttempts: 4,
  baseDelayMs: 200,
  maxDelayMs: 10_000,
  maxRetryAfterMs: 60_000,
  retryBudgetErrors: false,
};

/** Full-jitter exponential backoff (AWS architecture blog): random in [0, min(cap, base · 2^(retry-1))]. */
export function backoffDelayMs(
  retry: number,
  options: Pick<RetryOptions, "baseDelayMs" | "maxDelayMs">,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(options.maxDelayMs, options.baseDelayMs * Math.pow(2, Math.max(0, retry - 1)));
  return Math.floor(random() * ceiling);
}

/** `Retry-After` in seconds (delta-seconds or an HTTP date); null when absent or unreadable. */
export function parseRetryAfter(value: string | null, now: number = Date.now()): number | null {
  if (value === null || value.trim() === "") return null;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed);
  if (!/^[A-Za-z]{3},/.test(trimmed)) return null; // an IMF-fixdate starts with the day name
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return null;
  return Math.max(0, Math.ceil((date - now) / 1000));
}

export type Outcome =
  { kind: "network" } | { kind: "response"; status: number; code: string | null; retryAfter: number | null };

/**
 * Whether a failed request may be sent again, and after how long. Network
 * errors, 5xx and 409 `idempotency_in_progress` are retried (a mutating call
 * keeps its Idempotency-Key, so a retry never writes twice); every other 4xx
 * is final. `retryNumber` is 1 for the first retry.
 */
export function retryDecision(
  outcome: Outcome,
  retryNumber: number,
  options: RetryOptions,
  random: () => number = Math.random,
): { retry: true; delayMs: number } | { retry: false } {
  if (retryNumber >= options.maxAttempts) return { retry: false };
  if (outcome.kind === "network") return { retry: true, delayMs: backoffDelayMs(retryNumber, options, random) };
  const { status, code, retryAfter } = outcome;
  const budget = status === 429 && (code === "budget_exhausted" || code === "write_ceiling_reached");
  const retryable =
    status >= 500 || (status === 409 && code === "idempotency_in_progress") || (budget && options.retryBudgetErrors);
  if (!retryable) return { retry: false };
  if (retryAfter !== null) {
    const ms = retryAfter * 1000;
    return ms <= options.maxRetryAfterMs ? { retry: true, delayMs: ms } : { retry: false };
  }
  // A budget refusal without Retry-After is the kill switch: it lasts until an admin acts.
  if (budget) return { retry: false };
  return { retry: true, delayMs: backoffDelayMs(retryNumber, options, random) };
}
