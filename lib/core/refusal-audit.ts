/**
 * What the audit trail keeps of an agent call refused before its key was known (no key, a malformed,
 * unknown, revoked or expired one). The trail is append-only and global for such calls, so anyone on
 * the network could otherwise fill it: a 14 KB path stored as a 14 KB target, as often as they like
 * (security review #17.10). Two bounds: the target is cut to a few hundred characters with a marker
 * saying how much was cut, and only so many such refusals are audited per client address per minute
 * (the rest are counted in a metric). Refusals of a known key are bounded by that key's own limits.
 */

/** Longest target kept for a refusal without a known key; a valid key's longest path fits twice over. */
export const UNAUTHENTICATED_TARGET_MAX = 256;
/** Longest target kept for any refusal (a 512-byte key percent-encoded, plus its namespace and path). */
export const REFUSAL_TARGET_MAX = 2048;
export const UNAUTHENTICATED_AUDITS_PER_MINUTE = 30;
export const AUDIT_WINDOW_MS = 60_000;

/** `text` itself when it fits, else its start and a marker saying how many characters were cut. */
export function boundText(text: string, max: number): string {
  if (text.length <= max) return text;
  const marker = (cut: number) => `…[truncated ${cut} chars]`;
  // The marker's own length depends on the count; one pass over the count's digits settles it.
  let keep = max - marker(text.length).length;
  keep = Math.max(0, keep);
  return text.slice(0, keep) + marker(text.length - keep);
}

/** A fixed one-minute window of audited refusals for one client address. */
export type RefusalWindow = { startedAt: number; audited: number; dropped: number };

/**
 * Whether one more refusal from this address is audited now, and the window after it. A new window
 * starts when the old one is a minute old.
 */
export function admitRefusalAudit(
  window: RefusalWindow | undefined,
  now: number,
  limit: number = UNAUTHENTICATED_AUDITS_PER_MINUTE,
): { audit: boolean; window: RefusalWindow } {
  const current = window && now - window.startedAt < AUDIT_WINDOW_MS ? window : { startedAt: now, audited: 0, dropped: 0 };
  if (current.audited < limit) return { audit: true, window: { ...current, audited: current.audited + 1 } };
  return { audit: false, window: { ...current, dropped: current.dropped + 1 } };
}
