import { createHash, randomBytes } from "node:crypto";

/**
 * Agent API keys: `bkv_` + 32 random bytes in base64url (256 bits). Only the
 * SHA-256 of the whole key is stored; the first characters are kept as a
 * display prefix so people can tell keys apart without seeing them. A fast
 * hash is right here (unlike passwords): the key is random, not guessable.
 */
export const KEY_PREFIX = "bkv_";
const KEY_FORMAT = /^bkv_[A-Za-z0-9_-]{43}$/;
export const DISPLAY_PREFIX_LENGTH = KEY_PREFIX.length + 8;

export function generateKey(): { key: string; hash: string; prefix: string } {
  const key = `${KEY_PREFIX}${randomBytes(32).toString("base64url")}`;
  return { key, hash: hashKey(key), prefix: key.slice(0, DISPLAY_PREFIX_LENGTH) };
}

export function hashKey(key: string): string {
  return createHash("sha256").update(key, "utf8").digest("hex");
}

export function isWellFormedKey(key: string): boolean {
  return KEY_FORMAT.test(key);
}

/** `Authorization: Bearer <key>` → the key, or why not. */
export function parseBearer(header: string | null): { ok: true; key: string } | { ok: false; message: string } {
  if (!header) return { ok: false, message: "missing Authorization header (expected: Bearer bkv_…)" };
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (!match) return { ok: false, message: "malformed Authorization header (expected: Bearer bkv_…)" };
  if (!isWellFormedKey(match[1]!)) return { ok: false, message: "malformed API key" };
  return { ok: true, key: match[1]! };
}
