import { describe, expect, it } from "vitest";
import { newId, randomToken } from "./ids";

describe("ids", () => {
  it("prefixes and sizes ids", () => {
    expect(newId("ws")).toMatch(/^ws_[0-9a-z]{16}$/);
  });

  it("does not repeat across many draws", () => {
    const seen = new Set(Array.from({ length: 10_000 }, () => randomToken(16)));
    expect(seen.size).toBe(10_000);
  });

  it("uses every character of the alphabet", () => {
    const chars = new Set(randomToken(20_000));
    expect(chars.size).toBe(36);
  });
});
