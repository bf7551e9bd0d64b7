import "server-only";
import { CREDENTIAL_SLOTS, decideMode, remaining, slotCaps, WORKSPACE_SLOTS, type Mode } from "@/lib/core/budget";
import { localDay, nextDailyReset } from "@/lib/core/calendar";
import { AppError } from "@/lib/core/errors";
import { systemActor, writeAudit } from "../audit";
import { refund, take, usageOf } from "./counters";
import { pgTransaction } from "../db";
import { logger } from "../logger";
import type { AgentPrincipal } from "../agent-api/authenticate";

export type { Mode };

export type Usage = {
  mode: Mode;
  message: string | null;
  requests: { limit: number | null; used: number; remaining: number | null; resetAt: Date };
  writes: { limit: number | null; used: number; remaining: number | null; resetAt: Date };
};

const DEFAULT_STOP_MESSAGE = "This workspace has reached its daily request limit.";

function view(p: AgentPrincipal, requestsUsed: number, writesUsed: number, resetAt: Date): Usage {
  const w = p.workspace;
  const mode = decideMode({
    limit: w.dailyRequestLimit,
    used: requestsUsed,
    degradeAtPercent: w.degradeAtPercent,
    killSwitch: w.killSwitch,
  });
  return {
    mode,
    message:
      mode === "stopped"
        ? (w.stopMessage ?? (w.killSwitch ? "This workspace has been stopped by an admin." : DEFAULT_STOP_MESSAGE))
        : null,
    requests: {
      limit: w.dailyRequestLimit,
      used: requestsUsed,
      remaining: remaining(w.dailyRequestLimit, requestsUsed),
      resetAt,
    },
    writes: {
      limit: p.credential.dailyWriteCeiling,
      used: writesUsed,
      remaining: remaining(p.credential.dailyWriteCeiling, writesUsed),
      resetAt,
    },
  };
}

/** What the standard headers say of the budget: the mode and the request limit. */
export type BudgetHeaders = {
  mode: Mode;
  requests: { limit: number | null; remaining: number | null; resetAt: Date };
};

/** The headers' figures for a call the hot path accepted (it accepts only calls that leave the workspace in normal mode). */
export function normalModeHeaders(input: {
  now: Date;
  timeZone: string;
  requestLimit: number | null;
  /** Null only without a limit. */
  requestsUsed: number | null;
}): BudgetHeaders {
  return {
    mode: "normal",
    requests: {
      limit: input.requestLimit,
      remaining: remaining(input.requestLimit, input.requestsUsed ?? 0),
      resetAt: nextDailyReset(input.now, input.timeZone),
    },
  };
}

/** Today's figures without counting (GET /policy). */
export async function readUsage(p: AgentPrincipal, now: Date, options: { fresh?: boolean } = {}): Promise<Usage> {
  const day = localDay(now, p.workspace.timeZone);
  // The snapshot read with the key serves GET /policy; after counting, read the counters again.
  const snapshot = !options.fresh && p.usageSnapshot.day === day ? p.usageSnapshot : null;
  const [requests, writes] = snapshot
    ? [snapshot.requests, snapshot.writes]
    : await Promise.all([usageOf(p.workspace.id, day), usageOf(p.credential.id, day)]);
  return view(p, requests, writes, nextDailyReset(now, p.workspace.timeZone));
}

export type Charge = { usage: Usage; refund: () => Promise<void> };

/**
 * Counts a call against the workspace's daily requests (and, when it writes,
 * the key's daily writes), or refuses it with 429. The returned `refund` gives
 * the units back when the call ends up refused (4xx/5xx) or replayed.
 */
export async function chargeCall(
  p: AgentPrincipal,
  input: { writes: boolean; priority: "low" | "normal"; now: Date },
): Promise<Charge> {
  const w = p.workspace;
  const day = localDay(input.now, w.timeZone);
  const resetAt = nextDailyReset(input.now, w.timeZone);
  const retryAfter = { resetAt: resetAt.toISOString() };
  if (w.killSwitch) {
    throw new AppError("budget_exhausted", w.stopMessage ?? "This workspace has been stopped by an admin.", {
      resetAt: null,
      killSwitch: true,
    });
  }
  const taken = await take({
    day,
    workspace: { id: w.id, caps: slotCaps(w.dailyRequestLimit, WORKSPACE_SLOTS) },
    credential: input.writes
      ? { id: p.credential.id, caps: slotCaps(p.credential.dailyWriteCeiling, CREDENTIAL_SLOTS) }
      : null,
  });
  if (taken.refused === "requests") {
    await noteModeChange(p, day, "stopped", input.now);
    throw new AppError("budget_exhausted", w.stopMessage ?? DEFAULT_STOP_MESSAGE, retryAfter);
  }
  if (taken.refused === "writes") {
    throw new AppError("write_ceiling_reached", "This key has reached its daily write ceiling.", {
      ...retryAfter,
      limit: p.credential.dailyWriteCeiling,
    });
  }
  const request = taken.workspace;
  const units = [{ scopeId: w.id, slot: request.slot }];
  if (taken.credential) units.push({ scopeId: p.credential.id, slot: taken.credential.slot });
  const giveBack = () =>
    refund(day, units).catch((error: unknown) => logger.warn({ err: error }, "budget refund failed"));
  const before = decideMode({
    limit: w.dailyRequestLimit,
    used: request.total - 1,
    degradeAtPercent: w.degradeAtPercent,
    killSwitch: false,
  });
  if (before === "degraded" && input.priority === "low") {
    await giveBack();
    throw new AppError(
      "degraded_low_priority",
      "The workspace is near its daily limit: low-priority calls are shed until it resets.",
      retryAfter,
    );
  }
  const writesUsed =
    taken.credential?.total ??
    (p.usageSnapshot.day === day ? p.usageSnapshot.writes : await usageOf(p.credential.id, day));
  const usage = view(p, request.total, writesUsed, resetAt);
  if (usage.mode !== "normal") await noteModeChange(p, day, usage.mode, input.now);
  return { usage, refund: giveBack };
}

/** The request budget's mode changes, as `recordModeChange` records them. */
function noteModeChange(p: AgentPrincipal, day: string, mode: Mode, now: Date): Promise<void> {
  return recordModeChange({
    workspace: p.workspace,
    period: day,
    mode,
    now,
    audit: {
      action: mode === "stopped" ? "budget.stopped" : "budget.degraded",
      reason:
        mode === "stopped"
          ? "daily request limit reached"
          : `daily usage reached ${p.workspace.degradeAtPercent}% of the limit`,
      details: { day, limit: p.workspace.dailyRequestLimit },
    },
  });
}

/**
 * Entering a mode — the request budget's degraded or stopped, a spend budget's degraded or exhausted
 * — is audited once per period (actor: system): the period's row and its audit event in one
 * transaction, so an event that could not be written leaves no row behind and the next call
 * records it. That failure is logged, not the caller's: the call itself is decided.
 */
export async function recordModeChange(input: {
  workspace: { id: string; slug: string };
  period: string;
  mode: string;
  now: Date;
  audit: { action: string; reason: string; details: Record<string, unknown> };
}): Promise<void> {
  const { workspace, mode } = input;
  await pgTransaction(async (sql) => {
    const inserted = await sql.query(
      `INSERT INTO usage_mode_change (workspace_id, day, mode, at) VALUES ($1, $2::date, $3, $4)
       ON CONFLICT DO NOTHING RETURNING mode`,
      [workspace.id, input.period, mode, input.now],
    );
    if (inserted.length === 0) return;
    await writeAudit(sql, {
      workspaceId: workspace.id,
      actor: systemActor("budget"),
      action: input.audit.action,
      target: workspace.slug,
      reason: input.audit.reason,
      details: input.audit.details,
    });
  }).catch((error: unknown) =>
    logger.error(
      { err: error, workspaceId: workspace.id, mode },
      "could not record a budget mode change; the next call retries",
    ),
  );
}
