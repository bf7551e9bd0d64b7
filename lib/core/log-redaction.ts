/**
 * Log lines must never carry key material. pino's `redact` removes fields by
 * path (Authorization headers, passwords, tokens); this catches what paths
 * cannot: an agent key pasted into a message, an error text or an unexpected
 * field. Keys have a recognisable shape (`bkv_` + base64url), so any run of
 * that shape is cut down to its non-secret display prefix.
 */
const KEY_MATERIAL = /bkv_[A-Za-z0-9_-]{8,}/g;
const BEARER = /(Bearer\s+)[^\s"',;]+/gi;

export const REDACTED = "[redacted]";

export function scrubSecrets(text: string): string {
  if (!text.includes("bkv_") && !/bearer/i.test(text)) return text; // the common case costs one scan
  return text.replace(BEARER, `$1${REDACTED}`).replace(KEY_MATERIAL, `bkv_${REDACTED}`);
}

/** Field names whose values are secrets wherever they appear (pino `redact` paths are built from these). */
export const SECRET_LOG_FIELDS = [
  "authorization",
  "password",
  "newPassword",
  "passwordHash",
  "token",
  "apiKey",
  "key",
  "secret",
  "cookie",
] as const;

/** pino `redact` paths: each secret field at the top level and up to two levels down, and request headers. */
export function secretLogPaths(): string[] {
  const paths: string[] = [];
  for (const field of SECRET_LOG_FIELDS) paths.push(field, `*.${field}`, `*.*.${field}`);
  paths.push('*.headers["x-metrics-token"]', "*.headers.cookie", "*.headers.authorization");
  return paths;
}
