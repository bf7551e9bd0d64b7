import "server-only";
import { nextDailyReset } from "@/lib/core/calendar";
import type { AgentPrincipal } from "./authenticate";

export type Mode = "normal" | "degraded" | "stopped";

export type Usage = {
  mode: Mode;
  message: string | null;
  requests: { limit: number | null; used: number; remaining: number | null; resetAt: Date };
  writes: { limit: number | null; used: number; remaining: number | null; resetAt: Date };
};

/**
 * The workspace's guardrail mode and budget figures for this key. The kill
 * switch is enforced now; the daily counters (and degraded mode) come with the
 * budgets issue — until then nothing is counted, so `used` is 0.
 */
export function currentUsage(principal: AgentPrincipal, now: Date): Usage {
  const resetAt = nextDailyReset(now, principal.workspace.timeZone);
  const stopped = principal.workspace.killSwitch;
  const used = 0;
  const requestLimit = principal.workspace.dailyRequestLimit;
  const writeLimit = principal.credential.dailyWriteCeiling;
  return {
    mode: stopped ? "stopped" : "normal",
    message: stopped ? (principal.workspace.stopMessage ?? "This workspace has been stopped by an admin.") : null,
    requests: {
      limit: requestLimit,
      used,
      remaining: requestLimit === null ? null : Math.max(0, requestLimit - used),
      resetAt,
    },
    writes: {
      limit: writeLimit,
      used,
      remaining: writeLimit === null ? null : Math.max(0, writeLimit - used),
      resetAt,
    },
  };
}
