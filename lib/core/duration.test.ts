import { describe, expect, it } from "vitest";
import { formatDuration, parseDuration } from "./duration";

describe("parseDuration", () => {
  it.each([
    ["30s", 30],
    ["15m", 900],
    ["1h", 3600],
    ["7d", 604800],
    ["90d", 7776000],
  ])("%s → %i seconds", (text, seconds) => {
    expect(parseDuration(text)).toBe(seconds);
  });

  it.each(["", "0s", "7", "1w", "-1h", "1.5h", "h", "1 h x", "9999999999d"])("rejects %j", (text) => {
    expect(parseDuration(text)).toBeNull();
  });

  it("round-trips through formatDuration", () => {
    for (const text of ["30s", "15m", "1h", "7d", "90s"]) expect(formatDuration(parseDuration(text)!)).toBe(text);
  });
});
