import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  decideMode,
  degradeThreshold,
  normalBelow,
  slotCaps,
  UNLIMITED,
  WORKSPACE_SLOTS,
} from "./budget";

describe("slot caps", () => {
  it("sum to the limit exactly, differing by at most one", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 10_000_000 }), fc.integer({ min: 1, max: 64 }), (limit, slots) => {
        const caps = slotCaps(limit, slots);
        expect(caps).toHaveLength(slots);
        expect(caps.reduce((a, b) => a + b, 0)).toBe(limit);
        expect(Math.max(...caps) - Math.min(...caps)).toBeLessThanOrEqual(1);
      }),
    );
  });
  it("give unlimited budgets caps that are never reached", () => {
    expect(slotCaps(null, WORKSPACE_SLOTS).reduce((a, b) => a + b, 0)).toBe(UNLIMITED);
  });
  it("handle limits smaller than the slot count", () => {
    expect(slotCaps(3, 16)).toEqual([1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
  });
});

describe("mode", () => {
  const base = { limit: 100, degradeAtPercent: 80, killSwitch: false };
  it.each([
    [0, "normal"],
    [79, "normal"],
    [80, "degraded"],
    [99, "degraded"],
    [100, "stopped"],
    [150, "stopped"],
  ])("used %i of 100 → %s", (used, mode) => {
    expect(decideMode({ ...base, used })).toBe(mode);
  });
  it("the kill switch stops at once; unlimited is normal", () => {
    expect(decideMode({ ...base, used: 0, killSwitch: true })).toBe("stopped");
    expect(decideMode({ limit: null, used: 1e9, degradeAtPercent: 80, killSwitch: false })).toBe("normal");
  });
  it("rounds the degrade threshold up", () => {
    expect(degradeThreshold(10, 85)).toBe(9);
    expect(degradeThreshold(3, 100)).toBe(3);
  });
});

describe("normalBelow (what the one-statement PUT is given)", () => {
  it("is exactly the boundary of normal mode: a total below it is normal, at or above it is not", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2_000_000_000 }),
        fc.integer({ min: 1, max: 100 }),
        fc.integer({ min: 0, max: 2_100_000_000 }),
        (limit, percent, used) => {
          const below = normalBelow(limit, percent)!;
          const mode = decideMode({ limit, used, degradeAtPercent: percent, killSwitch: false });
          expect(mode === "normal").toBe(used < below);
        },
      ),
    );
  });

  it("is null without a limit (always normal)", () => {
    expect(normalBelow(null, 80)).toBeNull();
    expect(decideMode({ limit: null, used: 10 ** 12, degradeAtPercent: 80, killSwitch: false })).toBe("normal");
  });
});
