import type { Guardrail, GuardrailMode } from "./types";

const MODES: readonly string[] = ["normal", "degraded", "stopped"] satisfies GuardrailMode[];

function integer(value: string | null): number | null {
  if (value === null || !/^\d+$/.test(value.trim())) return null;
  return Number(value.trim());
}

/** The standard headers of an agent API response (API.md): mode, daily budget, request and correlation ids. */
export function parseGuardrail(headers: Headers): Guardrail {
  const mode = headers.get("x-guardrail-mode");
  return {
    mode: mode !== null && MODES.includes(mode) ? (mode as GuardrailMode) : null,
    limit: integer(headers.get("ratelimit-limit")),
    remaining: integer(headers.get("ratelimit-remaining")),
    resetSeconds: integer(headers.get("ratelimit-reset")),
    requestId: headers.get("x-request-id"),
    correlationId: headers.get("x-correlation-id"),
  };
}

/** `ETag: "3"` (or `W/"3"`, or bare `3`) → 3. */
export function parseEtag(value: string | null): number | null {
  const match = value?.trim().match(/^(?:W\/)?"?(\d+)"?$/);
  return match ? Number(match[1]) : null;
}

/**
 * `X-Reason` is free text but HTTP headers are not: the server percent-decodes
 * it, so everything outside printable ASCII — and `%` itself, so a literal
 * "50%" survives the decoding — is percent-encoded (UTF-8).
 */
export function encodeReason(reason: string): string {
  return reason.replace(/[^\x20-\x24\x26-\x7e]/gu, (char) => {
    try {
      return encodeURIComponent(char);
    } catch {
      return "%EF%BF%BD"; // a lone surrogate: U+FFFD, as TextEncoder would
    }
  });
}

/** `If-Match` for a KV version or a task's last event seq. */
export function ifMatch(version: number): string {
  return `"${version}"`;
}
