/**
 * The KV contract's pure rules (API.md "Namespaces and keys", KV endpoints):
 * key and value limits, preconditions, TTL policy, list cursors.
 */
export const MAX_KEY_BYTES = 512;
export const MAX_VALUE_BYTES = 256 * 1024;
export const MAX_JSON_DEPTH = 100;
export const DEFAULT_LIST_LIMIT = 100;
export const MAX_LIST_LIMIT = 1000;

const encoder = new TextEncoder();

export function byteLength(text: string): number {
  return encoder.encode(text).length;
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

export type Check = { ok: true } | { ok: false; message: string };

export function checkKey(key: string): Check {
  const bytes = byteLength(key);
  if (bytes < 1 || bytes > MAX_KEY_BYTES)
    return { ok: false, message: `keys are 1–${MAX_KEY_BYTES} bytes of UTF-8 (got ${bytes})` };
  if (key.includes("\u0000")) return { ok: false, message: "keys may not contain NUL" };
  if (LONE_SURROGATE.test(key)) return { ok: false, message: "keys must be valid UTF-8" };
  // URLs treat "." and ".." (even percent-encoded) as dot segments: such a key could never be read back.
  if (key === "." || key === "..") return { ok: false, message: 'keys may not be "." or ".."' };
  return { ok: true };
}

/**
 * JSON that PostgreSQL's jsonb can store: no NUL in strings, bounded nesting.
 * Iterative, so a hostile document cannot exhaust the stack; request bodies are
 * checked with it (one level more, for the envelope) before any recursive
 * schema sees them.
 */
export function checkJsonValue(value: unknown, maxDepth: number = MAX_JSON_DEPTH): Check {
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length) {
    const [current, depth] = stack.pop()!;
    if (depth > maxDepth) return { ok: false, message: `values may nest at most ${MAX_JSON_DEPTH} levels deep` };
    if (typeof current === "string") {
      if (current.includes("\u0000")) return { ok: false, message: "strings in values may not contain NUL (\\u0000)" };
      // jsonb refuses an unpaired surrogate escape ("\ud800"): it is not a character.
      if (LONE_SURROGATE.test(current)) return { ok: false, message: "strings in values must be valid Unicode" };
    } else if (Array.isArray(current)) {
      for (const item of current) stack.push([item, depth + 1]);
    } else if (current !== null && typeof current === "object") {
      for (const [field, item] of Object.entries(current)) {
        if (field.includes("\u0000"))
          return { ok: false, message: "object keys in values may not contain NUL (\\u0000)" };
        if (LONE_SURROGATE.test(field)) return { ok: false, message: "object keys in values must be valid Unicode" };
        stack.push([item, depth + 1]);
      }
    }
  }
  return { ok: true };
}

export type Precondition = { kind: "none" } | { kind: "match"; version: number } | { kind: "absent" };

/** `If-Match: "3"` (or bare `3`) and `If-None-Match: *`. */
export function parsePreconditions(
  ifMatch: string | null,
  ifNoneMatch: string | null,
): { ok: true; value: Precondition } | { ok: false; message: string } {
  if (ifMatch !== null && ifNoneMatch !== null)
    return { ok: false, message: "send If-Match or If-None-Match, not both" };
  if (ifNoneMatch !== null) {
    return ifNoneMatch.trim() === "*"
      ? { ok: true, value: { kind: "absent" } }
      : { ok: false, message: 'If-None-Match supports only "*"' };
  }
  if (ifMatch !== null) {
    const match = /^\s*(?:W\/)?"?([1-9]\d{0,9})"?\s*$/.exec(ifMatch);
    const version = match ? Number(match[1]) : NaN;
    if (!Number.isSafeInteger(version) || version > 2_147_483_647) {
      return { ok: false, message: 'If-Match must be a version, e.g. "3"' };
    }
    return { ok: true, value: { kind: "match", version } };
  }
  return { ok: true, value: { kind: "none" } };
}

export function encodeCursor(key: string): string {
  return Buffer.from(key, "utf8").toString("base64url");
}

export function decodeCursor(cursor: string): string | null {
  if (!/^[A-Za-z0-9_-]{1,1000}$/.test(cursor)) return null;
  const key = Buffer.from(cursor, "base64url").toString("utf8");
  return checkKey(key).ok ? key : null;
}

export function parseListLimit(raw: string | null): number | null {
  if (raw === null || raw === "") return DEFAULT_LIST_LIMIT;
  if (!/^\d{1,4}$/.test(raw)) return null;
  const n = Number(raw);
  return n >= 1 && n <= MAX_LIST_LIMIT ? n : null;
}
