import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { argumentsSha256 } from "./action-arguments";

describe("argumentsSha256", () => {
  it("is the SHA-256 of the canonical JSON, in hex", () => {
    expect(argumentsSha256({ order: 123, amount: 40 })).toBe(
      createHash("sha256").update('{"amount":40,"order":123}').digest("hex"),
    );
    expect(argumentsSha256({ b: 1, a: 2 })).toMatch(/^[0-9a-f]{64}$/);
  });

  it("compares by meaning: key order and formatting do not matter", () => {
    const a = JSON.parse('{ "order": 123, "items": [ { "sku": "x", "qty": 1 } ], "amount": 40.0 }');
    const b = JSON.parse('{"amount":40,"items":[{"qty":1,"sku":"x"}],"order":123}');
    expect(argumentsSha256(a)).toBe(argumentsSha256(b));
  });

  it("an edit changes it, down to a single value, array order or type", () => {
    const base = argumentsSha256({ order: 123, amount: 40, items: ["a", "b"] });
    for (const edited of [
      { order: 123, amount: 41, items: ["a", "b"] },
      { order: 123, amount: "40", items: ["a", "b"] },
      { order: 123, amount: 40, items: ["b", "a"] },
      { order: 123, amount: 40, items: ["a", "b"], note: null },
      { order: 123, amount: 40 },
    ]) {
      expect(argumentsSha256(edited), JSON.stringify(edited)).not.toBe(base);
    }
  });

  it("absent arguments are the same as null, and differ from an empty object", () => {
    expect(argumentsSha256(undefined)).toBe(argumentsSha256(null));
    expect(argumentsSha256(undefined)).toBe(createHash("sha256").update("null").digest("hex"));
    expect(argumentsSha256({})).not.toBe(argumentsSha256(null));
  });
});
