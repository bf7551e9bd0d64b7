import { randomBytes } from "node:crypto";

const ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz";

// Random bytes drawn from the CSPRNG a few kilobytes at a time: one call per id cost more than the
// rest of the id (every agent request takes a request id). Bytes are used once and never reused.
let pool = Buffer.alloc(0);
let offset = 0;
function randomChunk(size: number): Uint8Array {
  if (offset + size > pool.length) {
    pool = randomBytes(Math.max(4096, size));
    offset = 0;
  }
  const chunk = pool.subarray(offset, offset + size);
  offset += size;
  return chunk;
}

/** Random lowercase base36 text, `length` characters, uniformly distributed. */
export function randomToken(length: number): string {
  let out = "";
  while (out.length < length) {
    for (const byte of randomChunk(length * 2)) {
      // 252 = 7 * 36: dropping bytes above it keeps every character equally likely.
      if (byte < 252 && out.length < length) out += ALPHABET[byte % 36];
    }
  }
  return out;
}

export type IdPrefix = "ws" | "usr" | "req" | "corr" | "ns" | "wfc" | "idn" | "cred" | "task" | "esc" | "act" | "rule";

/** IDs people see carry a readable prefix (`ws_…`, `usr_…`); 16 base36 chars ≈ 82 bits. */
export function newId(prefix: IdPrefix): string {
  return `${prefix}_${randomToken(16)}`;
}
