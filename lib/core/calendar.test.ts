import { describe, expect, it } from "vitest";
import { localDay, localMonth, monthOf, nextDailyReset, nextMonthlyReset } from "./calendar";

describe("nextDailyReset", () => {
  it("is the next UTC midnight for UTC", () => {
    expect(nextDailyReset(new Date("2026-11-25T15:30:00Z"), "UTC")).toEqual(new Date("2026-11-26T00:00:00Z"));
  });

  it("is strictly after now, even at midnight exactly", () => {
    expect(nextDailyReset(new Date("2026-11-26T00:00:00Z"), "UTC")).toEqual(new Date("2026-11-27T00:00:00Z"));
  });

  it("uses the workspace's local midnight", () => {
    // Paris is UTC+1 in November: local midnight is 23:00 UTC.
    expect(nextDailyReset(new Date("2026-11-25T15:30:00Z"), "Europe/Paris")).toEqual(new Date("2026-11-25T23:00:00Z"));
    // 23:30 UTC is already the 26th in Paris.
    expect(nextDailyReset(new Date("2026-11-25T23:30:00Z"), "Europe/Paris")).toEqual(new Date("2026-11-26T23:00:00Z"));
    expect(nextDailyReset(new Date("2026-11-25T15:30:00Z"), "America/New_York")).toEqual(
      new Date("2026-11-26T05:00:00Z"),
    );
  });

  it("handles the days when clocks change", () => {
    // Paris springs forward on 2026-03-29: the next midnight is at UTC+2.
    expect(nextDailyReset(new Date("2026-03-29T12:00:00Z"), "Europe/Paris")).toEqual(new Date("2026-03-29T22:00:00Z"));
    // and falls back on 2026-10-25.
    expect(nextDailyReset(new Date("2026-10-25T12:00:00Z"), "Europe/Paris")).toEqual(new Date("2026-10-25T23:00:00Z"));
  });

  it("answers the same from its per-zone window as computed afresh, across midnights and clock changes", () => {
    // Forward in time, most answers come from the cached window; backward, each is computed afresh.
    const instants = Array.from(
      { length: 4 * 24 * 4 + 1 },
      (_, i) => new Date(Date.UTC(2026, 2, 27) + i * 15 * 60_000),
    );
    for (const zone of ["Europe/Paris", "America/Santiago", "Asia/Kolkata", "UTC"]) {
      const answer = (d: Date) => `${localDay(d, zone)} → ${nextDailyReset(d, zone).toISOString()}`;
      const forward = instants.map(answer);
      const backward = [...instants].reverse().map(answer).reverse();
      expect(forward, zone).toEqual(backward);
      expect(new Set(forward.map((a) => a.slice(0, 10))).size, zone).toBeGreaterThanOrEqual(4);
    }
  });

  it("names the local day", () => {
    expect(localDay(new Date("2026-11-25T23:30:00Z"), "Europe/Paris")).toBe("2026-11-26");
    expect(localDay(new Date("2026-11-25T23:30:00Z"), "UTC")).toBe("2026-11-25");
  });
});

describe("months", () => {
  it("name the local month and begin at its first local midnight, across a DST change", () => {
    expect(monthOf("2026-12-31")).toBe("2026-12-01");
    // 23:30 PDT on 31 October 2026 is still October in Los Angeles; November begins at 07:00Z (PDT).
    expect(localMonth(new Date("2026-11-01T06:30:00Z"), "America/Los_Angeles")).toBe("2026-10-01");
    expect(nextMonthlyReset(new Date("2026-11-01T06:30:00Z"), "America/Los_Angeles")).toEqual(
      new Date("2026-11-01T07:00:00Z"),
    );
    // From November (clocks went back on the 1st), December begins at 08:00Z (PST).
    expect(nextMonthlyReset(new Date("2026-11-15T12:00:00Z"), "America/Los_Angeles")).toEqual(
      new Date("2026-12-01T08:00:00Z"),
    );
    expect(nextMonthlyReset(new Date("2026-12-31T23:59:59Z"), "UTC")).toEqual(new Date("2027-01-01T00:00:00Z"));
    // March: the month begins in PST, the change comes later (8 March 2026).
    expect(nextMonthlyReset(new Date("2026-02-20T12:00:00Z"), "America/Los_Angeles")).toEqual(
      new Date("2026-03-01T08:00:00Z"),
    );
    expect(nextMonthlyReset(new Date("2026-03-20T12:00:00Z"), "Europe/Paris")).toEqual(
      new Date("2026-03-31T22:00:00Z"),
    );
  });
});
