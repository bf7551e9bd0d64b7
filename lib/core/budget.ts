/**
 * Budgets (API.md "Counting"). A day's budget is split across counter slots so
 * that concurrent callers update different rows: each slot has a cap, the caps
 * add up to the limit exactly, and a call is accepted only by incrementing a
 * slot still below its cap — so accepted calls never exceed the limit, and no
 * single row serializes all of a workspace's traffic.
 */
/**
 * Slots per scope and day. Keep these fixed: a day is laid out by whichever
 * process makes its first call, so two app versions with different counts
 * running at once (a rolling deploy) could lay out one day twice over, with
 * caps adding up to more than the limit. (32 were measured against 16 on
 * 2026-12-01: with SKIP LOCKED slot choice, 0.59 ms of PostgreSQL CPU per
 * guarded write against 0.49 — the degrade threshold reads every slot.)
 */
export const WORKSPACE_SLOTS = 16;
export const CREDENTIAL_SLOTS = 16;
/** Unlimited budgets are still counted (for history), against caps that are never reached. */
export const UNLIMITED = 2_000_000_000;

export type Mode = "normal" | "degraded" | "stopped";

/** Splits `limit` into `slots` caps that sum to it exactly (the first slots take the remainder). */
export function slotCaps(limit: number | null, slots: number): number[] {
  const total = limit ?? UNLIMITED;
  const base = Math.floor(total / slots);
  const remainder = total % slots;
  return Array.from({ length: slots }, (_, i) => base + (i < remainder ? 1 : 0));
}

export function degradeThreshold(limit: number, degradeAtPercent: number): number {
  return Math.ceil((limit * degradeAtPercent) / 100);
}

export function decideMode(input: {
  limit: number | null;
  used: number;
  degradeAtPercent: number;
  killSwitch: boolean;
}): Mode {
  if (input.killSwitch) return "stopped";
  if (input.limit === null) return "normal";
  if (input.used >= input.limit) return "stopped";
  if (input.used >= degradeThreshold(input.limit, input.degradeAtPercent)) return "degraded";
  return "normal";
}

/**
 * The first day's total that is not normal mode (degraded or stopped), null without a limit: the
 * one-statement PUT (prisma/sql/agent_kv_put.sql) is given it and accepts only calls below it.
 */
export function normalBelow(limit: number | null, degradeAtPercent: number): number | null {
  return limit === null ? null : Math.min(limit, degradeThreshold(limit, degradeAtPercent));
}

export function remaining(limit: number | null, used: number): number | null {
  return limit === null ? null : Math.max(0, limit - used);
}
