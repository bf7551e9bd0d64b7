import { randomBytes } from "node:crypto";

const ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz";

/** Random lowercase base36 text, `length` characters, uniformly distributed. */
export function randomToken(length: number): string {
  let out = "";
  while (out.length < length) {
    for (const byte of randomBytes(length * 2)) {
      // 252 = 7 * 36: dropping bytes above it keeps every character equally likely.
      if (byte < 252 && out.length < length) out += ALPHABET[byte % 36];
    }
  }
  return out;
}

export type IdPrefix = "ws" | "usr" | "req" | "corr" | "ns" | "wfc" | "idn" | "cred" | "task" | "esc";

/** IDs people see carry a readable prefix (`ws_…`, `usr_…`); 16 base36 chars ≈ 82 bits. */
export function newId(prefix: IdPrefix): string {
  return `${prefix}_${randomToken(16)}`;
}
