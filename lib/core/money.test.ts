import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { formatUsd, formatUsdDecimal, MAX_MICRO_USD, MAX_USD, parseUsd, toMicroUsd } from "./money";

describe("parseUsd accepts", () => {
  const table: [input: unknown, micros: bigint][] = [
    [0, 0n],
    [-0, 0n],
    [1, 1_000_000n],
    [12.5, 12_500_000n],
    [0.1, 100_000n],
    [0.000001, 1n],
    [0.123456, 123_456n],
    [1e2, 100_000_000n],
    [0.3, 300_000n],
    [999_999_999.999999, 999_999_999_999_999n],
    [MAX_USD, MAX_MICRO_USD],
    ["0", 0n],
    ["12.5", 12_500_000n],
    ["12.500000", 12_500_000n],
    ["0.000001", 1n],
    ["1000000000", MAX_MICRO_USD],
    ["999999999.999999", 999_999_999_999_999n],
  ];
  it.each(table)("%s → %s micro-dollars", (input, micros) => {
    expect(parseUsd(input)).toEqual({ ok: true, micros });
  });

  it("0.1 + 0.2 is exactly 0.3 in micro-dollars (no float arithmetic)", () => {
    const a = parseUsd(0.1);
    const b = parseUsd(0.2);
    expect(a.ok && b.ok && a.micros + b.micros).toBe(300_000n);
    expect(formatUsd(300_000n)).toBe(0.3);
  });
});

describe("parseUsd refuses", () => {
  const table: [input: unknown, message: RegExp][] = [
    [-1, /negative/],
    [-0.000001, /negative/],
    ["-1", /negative/],
    ["-0", /negative/],
    [NaN, /finite/],
    [Infinity, /finite/],
    [-Infinity, /finite/],
    [0.0000001, /6 decimals/],
    [1e-7, /6 decimals/],
    [5e-324, /6 decimals/],
    [0.0000015, /6 decimals/],
    [1.1234567, /6 decimals/],
    [123_456_789.1234567, /6 decimals/],
    ["1.1234567", /6 decimals/],
    ["0.0000000", /6 decimals/],
    [MAX_USD + 0.000001, /at most/],
    [1e21, /at most/],
    [Number.MAX_VALUE, /at most/],
    ["1000000000.000001", /at most/],
    ["99999999999999999999999", /at most/],
    ["1e3", /plain decimal/],
    ["1E3", /plain decimal/],
    ["0x10", /plain decimal/],
    ["+1", /plain decimal/],
    [" 1", /plain decimal/],
    ["1 ", /plain decimal/],
    ["1.", /plain decimal/],
    [".5", /plain decimal/],
    ["01", /plain decimal/],
    ["1,5", /plain decimal/],
    ["", /plain decimal/],
    ["NaN", /plain decimal/],
    ["Infinity", /plain decimal/],
    ["١٢", /plain decimal/],
    [null, /a number/],
    [undefined, /a number/],
    [true, /a number/],
    [10n, /a number/],
    [{ usd: 1 }, /a number/],
    [[1], /a number/],
  ];
  it.each(table)("%s (%s)", (input, message) => {
    const result = parseUsd(input);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.message).toMatch(message);
  });
});

describe("formatting", () => {
  const table: [micros: bigint, decimal: string][] = [
    [0n, "0"],
    [1n, "0.000001"],
    [10n, "0.00001"],
    [100_000n, "0.1"],
    [12_500_000n, "12.5"],
    [1_000_000n, "1"],
    [123_456_789n, "123.456789"],
    [MAX_MICRO_USD, "1000000000"],
    [-1n, "-0.000001"],
    [-12_500_000n, "-12.5"],
    [10n ** 30n + 1n, "1000000000000000000000000.000001"],
  ];
  it.each(table)("%s micro-dollars → %s", (micros, decimal) => {
    expect(formatUsdDecimal(micros)).toBe(decimal);
    if (micros >= -MAX_MICRO_USD && micros <= MAX_MICRO_USD) {
      expect(JSON.stringify({ usd: formatUsd(micros) })).toBe(`{"usd":${decimal}}`);
    }
  });
});

describe("round trips", () => {
  const micros = fc.bigInt({ min: 0n, max: MAX_MICRO_USD });

  it("property: micro-dollars → JSON number → JSON text → parseUsd gives the same micro-dollars", () => {
    fc.assert(
      fc.property(micros, (m) => {
        const wire = JSON.parse(JSON.stringify({ usd: formatUsd(m) })) as { usd: unknown };
        expect(parseUsd(wire.usd)).toEqual({ ok: true, micros: m });
      }),
      { numRuns: 2000 },
    );
  });

  it("property: micro-dollars → decimal string → parseUsd gives the same micro-dollars", () => {
    fc.assert(
      fc.property(micros, (m) => {
        expect(parseUsd(formatUsdDecimal(m))).toEqual({ ok: true, micros: m });
      }),
      { numRuns: 2000 },
    );
  });

  it("property: a decimal with 1–6 decimals reads the same as a string and as a JSON number", () => {
    const decimal = fc
      .tuple(fc.bigInt({ min: 0n, max: 999_999_999n }), fc.stringMatching(/^[0-9]{1,6}$/))
      .map(([whole, fraction]) => `${whole}.${fraction}`);
    fc.assert(
      fc.property(decimal, (text) => {
        const asString = parseUsd(text);
        expect(asString.ok).toBe(true);
        expect(parseUsd(JSON.parse(text))).toEqual(asString);
      }),
      { numRuns: 2000 },
    );
  });

  it("property: a decimal with 7 or more significant decimals is refused, as a string and as a number", () => {
    const decimal = fc
      .tuple(fc.bigInt({ min: 0n, max: 99_999_999n }), fc.stringMatching(/^[0-9]{6}[1-9]$/))
      .map(([whole, fraction]) => `${whole}.${fraction}`);
    fc.assert(
      fc.property(decimal, (text) => {
        expect(parseUsd(text).ok).toBe(false);
        expect(parseUsd(JSON.parse(text)).ok).toBe(false);
      }),
      { numRuns: 2000 },
    );
  });

  it("property: the decimal string orders like the micro-dollars", () => {
    fc.assert(
      fc.property(micros, micros, (a, b) => {
        expect(a < b).toBe(formatUsd(a) < formatUsd(b));
      }),
    );
  });
});

describe("toMicroUsd", () => {
  it("takes a bigint or an integer number", () => {
    expect(toMicroUsd(5n)).toBe(5n);
    expect(toMicroUsd(5)).toBe(5n);
    expect(toMicroUsd(0)).toBe(0n);
  });

  it("throws on anything else (a programming error)", () => {
    for (const bad of [0.5, NaN, Infinity, 2 ** 53]) expect(() => toMicroUsd(bad)).toThrow(RangeError);
  });
});
