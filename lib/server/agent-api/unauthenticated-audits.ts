import "server-only";
import { LRUCache } from "lru-cache";
import { addressLimitKey } from "@/lib/core/client-address";
import { admitRefusalAudit, AUDIT_WINDOW_MS, type RefusalWindow } from "@/lib/core/refusal-audit";
import { countUnauditedRefusal } from "../metrics";

/**
 * Per client address, this process's window of audited refusals without a known key
 * (lib/core/refusal-audit.ts). Per process on purpose: it bounds how fast one address can
 * grow the trail, and needs no database write to do so — the very thing being rationed.
 */
const windows = new LRUCache<string, RefusalWindow>({ max: 10_000, ttl: AUDIT_WINDOW_MS });

/** True when this refusal is audited; otherwise it is counted in basekv_agent_refusals_unaudited_total. */
export function admitUnauthenticatedAudit(clientAddress: string | null, now: number = Date.now()): boolean {
  // IPv6 per /64, as the sign-in limit counts: one machine holds a whole /64.
  const address = clientAddress ? addressLimitKey(clientAddress) : "unknown";
  const { audit, window } = admitRefusalAudit(windows.get(address), now);
  windows.set(address, window, { ttl: Math.max(1, AUDIT_WINDOW_MS - (now - window.startedAt)) });
  if (!audit) countUnauditedRefusal();
  return audit;
}
