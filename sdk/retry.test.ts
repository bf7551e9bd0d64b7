import { describe, expect, it } from "vitest";
import { backoffDelayMs, DEFAULT_RETRY, parseRetryAfter, retryDecision, type RetryOptions } from "./retry";

const options: RetryOptions = { ...DEFAULT_RETRY, maxAttempts: 5, baseDelayMs: 100, maxDelayMs: 1000 };
const response = (status: number, code: string | null, retryAfter: number | null = null) =>
  ({ kind: "response", status, code, retryAfter }) as const;

describe("backoffDelayMs — exponential with full jitter", () => {
  it("draws in [0, min(max, base · 2^(n-1))]", () => {
    expect([1, 2, 3, 4, 5, 6].map((n) => backoffDelayMs(n, options, () => 0.999999))).toEqual([
      99, 199, 399, 799, 999, 999,
    ]);
    expect(backoffDelayMs(3, options, () => 0)).toBe(0);
    expect(backoffDelayMs(2, options, () => 0.5)).toBe(100);
  });

  it("never exceeds the cap, whatever the attempt", () => {
    for (let n = 1; n < 2000; n += 97) expect(backoffDelayMs(n, options, () => 0.9999)).toBeLessThan(1000);
  });
});

describe("parseRetryAfter", () => {
  it("reads delta-seconds and HTTP dates, and nothing else", () => {
    expect(parseRetryAfter("3")).toBe(3);
    expect(parseRetryAfter(" 0 ")).toBe(0);
    const now = Date.parse("2026-01-01T00:00:00Z");
    expect(parseRetryAfter("Thu, 01 Jan 2026 00:00:30 GMT", now)).toBe(30);
    expect(parseRetryAfter("Wed, 31 Dec 2025 00:00:00 GMT", now)).toBe(0);
    expect(parseRetryAfter(null)).toBeNull();
    expect(parseRetryAfter("")).toBeNull();
    expect(parseRetryAfter("soon")).toBeNull();
    expect(parseRetryAfter("-1")).toBeNull();
  });
});

describe("retryDecision", () => {
  const half = () => 0.5;
  it("retries network errors, 5xx and 409 idempotency_in_progress with backoff", () => {
    expect(retryDecision({ kind: "network" }, 1, options, half)).toEqual({ retry: true, delayMs: 50 });
    expect(retryDecision(response(500, "internal"), 2, options, half)).toEqual({ retry: true, delayMs: 100 });
    expect(retryDecision(response(502, null), 3, options, half)).toEqual({ retry: true, delayMs: 200 });
    expect(retryDecision(response(409, "idempotency_in_progress"), 1, options, half)).toEqual({
      retry: true,
      delayMs: 50,
    });
  });

  it("waits exactly Retry-After when given, unless it is beyond maxRetryAfterMs", () => {
    expect(retryDecision(response(503, "internal", 7), 1, options, half)).toEqual({ retry: true, delayMs: 7000 });
    expect(retryDecision(response(503, "internal", 61), 1, options, half)).toEqual({ retry: false });
  });

  it("never retries other 4xx", () => {
    for (const [status, code] of [
      [400, "invalid_request"],
      [401, "unauthorized"],
      [403, "forbidden_namespace"],
      [404, "not_found"],
      [409, "invalid_transition"],
      [412, "version_conflict"],
      [413, "payload_too_large"],
      [422, "validation_failed"],
      [422, "idempotency_key_reused"],
      [429, "degraded_low_priority"],
    ] as const) {
      expect(retryDecision(response(status, code, 1), 1, options, half)).toEqual({ retry: false });
    }
  });

  it("budget errors: not retried by default; with retryBudgetErrors, only with a Retry-After (never the kill switch)", () => {
    expect(retryDecision(response(429, "budget_exhausted", 5), 1, options)).toEqual({ retry: false });
    const opted = { ...options, retryBudgetErrors: true };
    expect(retryDecision(response(429, "budget_exhausted", 5), 1, opted)).toEqual({ retry: true, delayMs: 5000 });
    expect(retryDecision(response(429, "write_ceiling_reached", 5), 1, opted)).toEqual({ retry: true, delayMs: 5000 });
    expect(retryDecision(response(429, "budget_exhausted", null), 1, opted)).toEqual({ retry: false });
    expect(retryDecision(response(429, "budget_exhausted", 3600), 1, opted)).toEqual({ retry: false });
  });

  it("stops after maxAttempts requests", () => {
    expect(retryDecision({ kind: "network" }, 4, options).retry).toBe(true);
    expect(retryDecision({ kind: "network" }, 5, options).retry).toBe(false);
    expect(retryDecision({ kind: "network" }, 1, { ...options, maxAttempts: 1 }).retry).toBe(false);
  });
});
