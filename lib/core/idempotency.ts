import { createHash } from "node:crypto";

export const IDEMPOTENCY_RETENTION_SECONDS = 24 * 60 * 60;

/**
 * What makes two requests "the same" for an Idempotency-Key: method, path,
 * preconditions and body. A JSON body is compared by meaning (key order and
 * whitespace do not matter), anything else byte for byte.
 */
export function requestFingerprint(input: {
  method: string;
  path: string;
  body: string;
  ifMatch?: string | null;
  ifNoneMatch?: string | null;
}): string {
  let body = input.body;
  try {
    body = canonicalJson(JSON.parse(input.body));
  } catch {
    // not JSON: keep the raw text
  }
  return createHash("sha256")
    .update([input.method.toUpperCase(), input.path, input.ifMatch ?? "", input.ifNoneMatch ?? "", body].join("\n"))
    .digest("hex");
}

export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== "object") return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
}

export function sha256Hex(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}
