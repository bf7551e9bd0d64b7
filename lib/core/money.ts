/**
 * Exact USD amounts (API.md "Spend budgets": "USD amounts are decimal numbers with at most 6
 * decimals, stored exactly (integer micro-dollars in `bigint`), never floats").
 *
 * An amount is a `bigint` of micro-dollars ($1 = 1 000 000). It enters as a JSON number or a
 * decimal string and leaves as a JSON number; nothing in between is a float. Shared by action
 * estimates and rules, and by spend budgets. No crypto, no clock: the browser can use it.
 */
export type MicroUsd = bigint;

export const MICROS_PER_USD = 1_000_000n;
export const USD_DECIMALS = 6;

/**
 * The largest amount accepted: $1 000 000 000. Why this bound: a JSON number reaches us as a
 * double, and a double keeps any decimal of at most 15 significant digits exactly (9 before the
 * point + 6 after is 15), so every accepted number converts without rounding; and the micro-dollar
 * count (10^15) stays a safe integer, so `Number(micros)` is exact too.
 */
export const MAX_USD = 1_000_000_000;
export const MAX_MICRO_USD: MicroUsd = BigInt(MAX_USD) * MICROS_PER_USD;

/** No sign, no exponent, no spaces, no leading zeros (`007` is octal to some readers), ≤ 6 decimals. */
const DECIMAL = /^(0|[1-9][0-9]*)(?:\.([0-9]+))?$/;

export type UsdParse = { ok: true; micros: MicroUsd } | { ok: false; message: string };

/**
 * A USD amount from a request: a JSON number (`12.5`) or a decimal string (`"12.5"`, as the CLI
 * passes it), ≥ 0, with at most 6 decimals, at most `MAX_USD`. Refuses negatives, NaN, infinities,
 * exponents in strings (`"1e3"`), and numbers below a micro-dollar's precision (`1e-7`).
 */
export function parseUsd(value: unknown): UsdParse {
  let text: string;
  if (typeof value === "number") {
    if (!Number.isFinite(value)) return refuse("An amount in USD must be a finite number.");
    if (value < 0) return refuse("An amount in USD cannot be negative.");
    if (value > MAX_USD) return refuse(`An amount in USD is at most ${MAX_USD}.`);
    // The shortest decimal that reads back as this double: for an accepted number, exactly what
    // was written (see MAX_USD). Below 1e-6 it is written with an exponent, which refuses it.
    text = String(value);
    if (/e/i.test(text)) return refuse(`An amount in USD has at most ${USD_DECIMALS} decimals.`);
  } else if (typeof value === "string") {
    text = value;
  } else {
    return refuse("An amount in USD is a number, such as 12.5.");
  }
  const match = DECIMAL.exec(text);
  if (!match) {
    return refuse(
      text.startsWith("-")
        ? "An amount in USD cannot be negative."
        : "An amount in USD is a plain decimal number, such as 12.5 (no sign, exponent or leading zeros).",
    );
  }
  const fraction = match[2] ?? "";
  if (fraction.length > USD_DECIMALS) return refuse(`An amount in USD has at most ${USD_DECIMALS} decimals.`);
  const micros = BigInt(match[1]!) * MICROS_PER_USD + BigInt(fraction.padEnd(USD_DECIMALS, "0"));
  if (micros > MAX_MICRO_USD) return refuse(`An amount in USD is at most ${MAX_USD}.`);
  return { ok: true, micros };
}

function refuse(message: string): UsdParse {
  return { ok: false, message };
}

/** The exact decimal text of an amount, without trailing zeros: `12500000n` → `"12.5"`. Any sign, any size. */
export function formatUsdDecimal(micros: MicroUsd): string {
  const negative = micros < 0n;
  const magnitude = negative ? -micros : micros;
  const whole = (magnitude / MICROS_PER_USD).toString();
  const fraction = (magnitude % MICROS_PER_USD).toString().padStart(USD_DECIMALS, "0").replace(/0+$/, "");
  return `${negative ? "-" : ""}${whole}${fraction ? `.${fraction}` : ""}`;
}

/**
 * An amount as the JSON number API.md shows (`"spent": 12.5`): the double nearest to the exact
 * decimal, which `JSON.stringify` writes as that decimal for every amount up to `MAX_USD` (and
 * `parseUsd` reads back to the same micro-dollars). Beyond it, still the nearest double.
 */
export function formatUsd(micros: MicroUsd): number {
  return Number(formatUsdDecimal(micros));
}

/**
 * Micro-dollars given as a `bigint` or an integer `number` (how a caller holding a database value
 * or a literal may pass them). Anything else is a programming error, not a request to refuse.
 */
export function toMicroUsd(value: MicroUsd | number): MicroUsd {
  if (typeof value === "bigint") return value;
  if (!Number.isSafeInteger(value)) throw new RangeError(`micro-dollars must be an integer, got ${value}`);
  return BigInt(value);
}
