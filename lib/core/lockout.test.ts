import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { evaluateLockout, LOCKOUT_MAX_FAILURES, LOCKOUT_WINDOW_MS } from "./lockout";

const now = new Date("2026-11-25T12:00:00Z");
const minutesAgo = (m: number) => new Date(now.getTime() - m * 60_000);

describe("evaluateLockout", () => {
  it("is open with no failures", () => {
    expect(evaluateLockout({ failures: [], now })).toEqual({ locked: false, failures: 0, remaining: 5 });
  });

  it("stays open after 4 failures", () => {
    const decision = evaluateLockout({ failures: [1, 2, 3, 4].map(minutesAgo), now });
    expect(decision).toEqual({ locked: false, failures: 4, remaining: 1 });
  });

  it("locks at the 5th failure within 15 minutes, until the oldest of them is 15 minutes old", () => {
    const decision = evaluateLockout({ failures: [1, 2, 3, 4, 10].map(minutesAgo), now });
    expect(decision.locked).toBe(true);
    if (decision.locked) expect(decision.lockedUntil).toEqual(new Date(minutesAgo(10).getTime() + LOCKOUT_WINDOW_MS));
  });

  it("ignores failures older than the window", () => {
    const decision = evaluateLockout({ failures: [1, 2, 3, 4, 15, 16, 30].map(minutesAgo), now });
    expect(decision).toEqual({ locked: false, failures: 4, remaining: 1 });
  });

  it("uses the 5th most recent failure when there are more than 5", () => {
    const decision = evaluateLockout({ failures: [1, 2, 3, 4, 5, 6, 7].map(minutesAgo), now });
    expect(decision.locked && decision.lockedUntil).toEqual(new Date(minutesAgo(5).getTime() + LOCKOUT_WINDOW_MS));
  });

  it("property: locked exactly when ≥ 5 failures fall in the window, and the lock always ends in the future within 15 minutes", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 40 * 60_000 }), { maxLength: 20 }), (agesMs) => {
        const failures = agesMs.map((age) => new Date(now.getTime() - age));
        const decision = evaluateLockout({ failures, now });
        const inWindow = agesMs.filter((age) => age < LOCKOUT_WINDOW_MS).length;
        expect(decision.locked).toBe(inWindow >= LOCKOUT_MAX_FAILURES);
        if (decision.locked) {
          expect(decision.lockedUntil.getTime()).toBeGreaterThan(now.getTime());
          expect(decision.lockedUntil.getTime()).toBeLessThanOrEqual(now.getTime() + LOCKOUT_WINDOW_MS);
          // Once the lock lifts, the same failures no longer lock.
          expect(evaluateLockout({ failures, now: decision.lockedUntil }).locked).toBe(false);
        }
      }),
    );
  });
});
