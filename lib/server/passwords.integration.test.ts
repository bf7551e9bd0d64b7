import { performance } from "node:perf_hooks";
import { describe, expect, it } from "vitest";
import { hashPassword, verifyPassword } from "./passwords";

/**
 * Finding 6 of issue #17: every sign-in attempt cost a bcrypt hash on the event
 * loop. The proof that hashing runs elsewhere is the event loop itself: while
 * eight checks are in flight, it is idle almost all the time (event-loop
 * utilization, measured by Node from the loop's own idle time, so a busy
 * machine does not change it) and a 1 ms timer keeps firing. With bcryptjs the
 * loop was busy the whole time (utilization 1.0) and the timer fired about once.
 */
describe("password hashing runs off the event loop", () => {
  it("keeps the event loop free while 8 password checks are in flight", async () => {
    const stored = await hashPassword("the-right-password");
    let ticks = 0;
    const timer = setInterval(() => ticks++, 1);
    const before = performance.eventLoopUtilization();
    const results = await Promise.all(Array.from({ length: 8 }, () => verifyPassword("a-wrong-password", stored)));
    const elu = performance.eventLoopUtilization(before);
    clearInterval(timer);

    expect(results).toEqual(new Array(8).fill(false));
    expect(elu.utilization).toBeLessThan(0.5);
    expect(ticks).toBeGreaterThanOrEqual(20);
  });

  it("still tells the right password from a wrong one, and reads hashes made by bcryptjs ($2a$/$2b$)", async () => {
    const stored = await hashPassword("correct horse battery");
    expect(stored).toMatch(/^\$2[aby]\$11\$/);
    expect(await verifyPassword("correct horse battery", stored)).toBe(true);
    expect(await verifyPassword("correct horse batterY", stored)).toBe(false);
    // Made by bcryptjs 3 (cost 11) before the switch: existing accounts keep their passwords.
    const legacy = "$2b$11$5ZvCbnYqQtbaemPgZ1pXBO.NrQOfm9E.J7gcqX2ys0eUj0F/ii6sq";
    expect(await verifyPassword("legacy-password-1", legacy)).toBe(true);
    const legacy2a = "$2a$11$QeCK0lxOYV34EqmmSp0Zz.mIbUV682fQ1WS/Udzg9OYCLAHnkKLOm"; // bcryptjs 2's prefix
    expect(await verifyPassword("legacy-password-2a", legacy2a)).toBe(true);
    expect(await verifyPassword("not-a-hash", "plain text")).toBe(false);
    expect(await verifyPassword("anything", null)).toBe(false);
  });
});
