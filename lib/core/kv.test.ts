import { describe, expect, it } from "vitest";
import { checkJsonValue, checkKey, decodeCursor, encodeCursor, MAX_JSON_DEPTH, MAX_KEY_BYTES } from "./kv";

describe("checkKey", () => {
  it("accepts any UTF-8 of 1–512 bytes, including '/' and dots inside a key", () => {
    for (const key of ["a", "runs/2026-11-25", "é".repeat(256), "...", ".hidden", "a..b"]) {
      expect(checkKey(key)).toEqual({ ok: true });
    }
  });

  it("refuses empty, oversized, NUL, lone surrogates, and the dot segments URLs cannot carry", () => {
    for (const key of ["", "x".repeat(MAX_KEY_BYTES + 1), "a\u0000b", "\ud800", ".", ".."]) {
      expect(checkKey(key).ok).toBe(false);
    }
  });
});

describe("cursors", () => {
  it("round-trip a key and refuse what the API did not issue", () => {
    expect(decodeCursor(encodeCursor("runs/é"))).toBe("runs/é");
    expect(decodeCursor("not a cursor!")).toBeNull();
  });
});

describe("checkJsonValue", () => {
  it("accepts what jsonb stores: any Unicode, nesting up to the limit", () => {
    for (const value of [
      "é😀",
      { clé: ["\ud83d\ude00"] },
      JSON.parse("[".repeat(MAX_JSON_DEPTH) + "]".repeat(MAX_JSON_DEPTH)),
    ]) {
      expect(checkJsonValue(value)).toEqual({ ok: true });
    }
  });

  it("refuses what jsonb cannot store (NUL, unpaired surrogates — found by the hostile-input test) and deeper nesting", () => {
    const deep = JSON.parse("[".repeat(MAX_JSON_DEPTH + 1) + "]".repeat(MAX_JSON_DEPTH + 1));
    for (const value of ["a\u0000", { "\u0000": 1 }, "\ud800", ["x\udfff"], { "\ud83d": 1 }, deep]) {
      expect(checkJsonValue(value).ok).toBe(false);
    }
  });
});
