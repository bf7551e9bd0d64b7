/**
 * Lifetimes and states of API keys: pure rules shared by the services, the
 * agent wrapper and the dashboard (no crypto here, so the browser can use it).
 */
export const DEFAULT_KEY_TTL_SECONDS = 7 * 86400;
export const MIN_KEY_TTL_SECONDS = 1;
export const DEFAULT_MAX_KEY_TTL_SECONDS = 90 * 86400;
export const DEFAULT_ROTATION_OVERLAP_SECONDS = 3600;

export type KeyTtlDecision = { ok: true; seconds: number } | { ok: false; message: string };

export function decideKeyTtl(requested: number | undefined, workspaceMax: number): KeyTtlDecision {
  const seconds = requested ?? Math.min(DEFAULT_KEY_TTL_SECONDS, workspaceMax);
  if (!Number.isInteger(seconds) || seconds < MIN_KEY_TTL_SECONDS) {
    return { ok: false, message: "A key must live at least 1 second." };
  }
  if (seconds > workspaceMax) {
    return {
      ok: false,
      message: `This workspace allows keys of at most ${Math.floor(workspaceMax / 86400)} days (${workspaceMax} s).`,
    };
  }
  return { ok: true, seconds };
}

export type CredentialStatus = "active" | "expired" | "revoked";

export function credentialStatus(c: { expiresAt: Date; revokedAt: Date | null }, now: Date): CredentialStatus {
  if (c.revokedAt && c.revokedAt <= now) return "revoked";
  if (c.expiresAt <= now) return "expired";
  return "active";
}

/** Rotation: the old key keeps working for `overlapSeconds`, never longer than it would have anyway. */
export function rotatedExpiry(oldExpiresAt: Date, now: Date, overlapSeconds: number): Date {
  const overlapEnd = new Date(now.getTime() + overlapSeconds * 1000);
  return overlapEnd < oldExpiresAt ? overlapEnd : oldExpiresAt;
}

export type CredentialCheck =
  { ok: true } | { ok: false; message: string; reason: "expired" | "revoked" | "identity_disabled" };

/** Why a known key may not be used now (each case is a 401 with its own message). */
export function checkCredential(
  c: { expiresAt: Date; revokedAt: Date | null; identityStatus: "active" | "disabled" },
  now: Date,
): CredentialCheck {
  const status = credentialStatus(c, now);
  if (status === "revoked") return { ok: false, reason: "revoked", message: "credential revoked" };
  if (status === "expired") return { ok: false, reason: "expired", message: "credential expired" };
  if (c.identityStatus !== "active") return { ok: false, reason: "identity_disabled", message: "identity disabled" };
  return { ok: true };
}
