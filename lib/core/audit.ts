import { maskWebhookUrl } from "./webhooks";

/**
 * Audit details must never carry secrets. Services pass plain objects; this
 * drops any field whose name says it holds a secret, at any depth, so a future
 * caller cannot leak one by passing a whole input object.
 */
const SECRET_FIELD =
  /^(password|passwordhash|newpassword|secret|token|apikey|authorization|key_?hash|credential_?secret)$/i;
/**
 * URLs (`url`, `webhookUrl`, `webhook_url_tier2`, `urls` …) keep only scheme
 * and host: an incoming-webhook URL is a bearer secret in its path, and
 * everyone in a workspace reads its audit trail.
 */
const URL_FIELD = /url(s|_?tier\d+)?$/i;

function maskUrls(value: unknown): JsonValue {
  if (typeof value === "string") return maskWebhookUrl(value);
  if (Array.isArray(value)) return value.map(maskUrls);
  if (value === null || value === undefined) return null;
  return "[redacted]";
}

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

export function redactSecrets(value: unknown): JsonValue {
  if (value === null || value === undefined) return null;
  if (Array.isArray(value)) return value.map(redactSecrets);
  if (value instanceof Date) return value.toISOString();
  if (typeof value === "bigint") return value.toString();
  if (typeof value === "object") {
    const out: Record<string, JsonValue> = {};
    for (const [field, inner] of Object.entries(value)) {
      if (inner === undefined) continue;
      out[field] = SECRET_FIELD.test(field)
        ? "[redacted]"
        : URL_FIELD.test(field)
          ? maskUrls(inner)
          : redactSecrets(inner);
    }
    return out;
  }
  if (typeof value === "number" && !Number.isFinite(value)) return null;
  return value as JsonValue;
}
