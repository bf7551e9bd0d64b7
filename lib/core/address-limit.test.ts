import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  addressWindowStart,
  evaluateAddressAttempt,
  SIGN_IN_ADDRESS_WINDOW_MS,
  SIGN_IN_ATTEMPTS_PER_ADDRESS,
} from "./address-limit";

const windowStart = new Date("2026-12-02T10:15:00Z");

describe("sign-in attempts per address", () => {
  it("keys the window on the start of the minute", () => {
    expect(addressWindowStart(new Date("2026-12-02T10:15:42.123Z"))).toEqual(windowStart);
    expect(addressWindowStart(windowStart)).toEqual(windowStart);
  });

  it(`allows ${SIGN_IN_ATTEMPTS_PER_ADDRESS} attempts in a window and refuses the next until the window ends`, () => {
    expect(evaluateAddressAttempt({ attempts: 1, windowStart })).toMatchObject({ allowed: true, remaining: 19 });
    expect(evaluateAddressAttempt({ attempts: 20, windowStart })).toMatchObject({ allowed: true, remaining: 0 });
    expect(evaluateAddressAttempt({ attempts: 21, windowStart })).toEqual({
      allowed: false,
      attempts: 21,
      resetAt: new Date(windowStart.getTime() + SIGN_IN_ADDRESS_WINDOW_MS),
      firstRefusal: true,
    });
    expect(evaluateAddressAttempt({ attempts: 22, windowStart })).toMatchObject({
      allowed: false,
      firstRefusal: false,
    });
  });

  it("property: allowed exactly up to the limit, and exactly one attempt is the window's first refusal", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 50 }), fc.integer({ min: 1, max: 200 }), (limit, attempts) => {
        const decisions = Array.from({ length: attempts }, (_, i) =>
          evaluateAddressAttempt({ attempts: i + 1, windowStart, limit }),
        );
        expect(decisions.filter((d) => d.allowed)).toHaveLength(Math.min(limit, attempts));
        expect(decisions.filter((d) => !d.allowed && d.firstRefusal)).toHaveLength(attempts > limit ? 1 : 0);
      }),
    );
  });
});
