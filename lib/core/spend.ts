/**
 * Spend budgets (API.md "Spend budgets"): money and tokens, beside the request budget, counted by
 * the same mechanism — counter slots whose caps add up to the limit (lib/core/budget.ts,
 * prisma/sql/budget_take_free.sql), here in micro-dollars (lib/core/money.ts) or tokens.
 *
 * An action reserves in the budgets that have a limit, and only those: a workspace without spend
 * limits pays nothing for them. A limit set during a period counts what the period's actions have
 * already spent and still hold, and adopts the actions still open (prisma/sql/spend_recount.sql),
 * under the workspace row's lock — which every reservation holds too (FOR KEY SHARE), so none is
 * missed. Pure: no I/O, no clock.
 */
import { slotCaps } from "./budget";
import { monthOf } from "./calendar";

/** The budgets, in the order their counters are locked (every transaction takes them in this order). */
export const SPEND_BUDGETS = [
  "workspace.daily_usd",
  "workspace.monthly_usd",
  "workspace.daily_tokens",
  "class.daily_usd",
  "credential.daily_usd",
] as const;
export type SpendBudget = (typeof SPEND_BUDGETS)[number];

/** Slots per budget and period. Fixed, for the reason WORKSPACE_SLOTS is (lib/core/budget.ts). */
export const SPEND_SLOTS = 16;

/**
 * The caps' sum of an unlimited budget: 2^53 − 1 micro-dollars ($9 billion) or tokens — beyond any
 * limit that can be set (MAX_USD) and any estimate the API accepts, and a safe integer, so
 * `slotCaps` computes it exactly.
 */
export const UNLIMITED_SPEND = Number.MAX_SAFE_INTEGER;

export type SpendLimits = {
  workspace: { dailyUsdMicros: bigint | null; monthlyUsdMicros: bigint | null; dailyTokens: bigint | null };
  classDailyUsdMicros: bigint | null;
  credentialDailyUsdMicros: bigint | null;
};

/** One budget's counters for one request: where the estimate is reserved, and under which limit. */
export type SpendScope = {
  budget: SpendBudget;
  /** The usage_slot scope: the owner's id and the unit (`ws_…:usd`, `ws_…:usd_month`, `ws_…:tokens`, `cls_…:usd`, `cred_…:usd`). */
  scopeId: string;
  /** The period's first day: the local day, or the local month's first day. */
  period: string;
  limit: bigint;
  amount: bigint;
  caps: number[];
};

const SCOPE_UNITS: Record<SpendBudget, string> = {
  "workspace.daily_usd": "usd",
  "workspace.monthly_usd": "usd_month",
  "workspace.daily_tokens": "tokens",
  "class.daily_usd": "usd",
  "credential.daily_usd": "usd",
};

/** A budget's counters (usage_slot.scope_id): its owner's id — workspace, class or key — and its unit. */
export function spendScopeId(budget: SpendBudget, ownerId: string): string {
  return `${ownerId}:${SCOPE_UNITS[budget]}`;
}

/** The period a budget counts `day` in: the day itself, or its month's first day. */
export function spendPeriod(budget: SpendBudget, day: string): string {
  return budget === "workspace.monthly_usd" ? monthOf(day) : day;
}

/** The last day of the period a budget counts `day` in: the day itself, or its month's last day. */
export function spendPeriodEnd(budget: SpendBudget, day: string): string {
  if (budget !== "workspace.monthly_usd") return day;
  const [year, month] = day.split("-").map(Number);
  return new Date(Date.UTC(year!, month!, 0)).toISOString().slice(0, 10);
}

/** Whose actions a budget counts: the workspace's, one class's or one key's. */
export function spendOwner(budget: SpendBudget): "workspace" | "class" | "credential" {
  return budget.startsWith("class.") ? "class" : budget.startsWith("credential.") ? "credential" : "workspace";
}

/**
 * The limited budgets of a request, in lock order, with what its estimate takes from each (0
 * without one: the action is still counted, so an actual it reports is charged).
 */
export function spendScopes(input: {
  ids: { workspaceId: string; classId: string; credentialId: string };
  limits: SpendLimits;
  day: string;
  estimate: { micros: bigint | null; tokens: bigint | null };
}): SpendScope[] {
  const { ids, limits, day } = input;
  const usd = input.estimate.micros ?? 0n;
  const tokens = input.estimate.tokens ?? 0n;
  const budgets: [SpendBudget, string, bigint | null, bigint][] = [
    ["workspace.daily_usd", ids.workspaceId, limits.workspace.dailyUsdMicros, usd],
    ["workspace.monthly_usd", ids.workspaceId, limits.workspace.monthlyUsdMicros, usd],
    ["workspace.daily_tokens", ids.workspaceId, limits.workspace.dailyTokens, tokens],
    ["class.daily_usd", ids.classId, limits.classDailyUsdMicros, usd],
    ["credential.daily_usd", ids.credentialId, limits.credentialDailyUsdMicros, usd],
  ];
  return budgets.flatMap(([budget, ownerId, limit, amount]) =>
    limit === null
      ? []
      : [
          {
            budget,
            scopeId: spendScopeId(budget, ownerId),
            period: spendPeriod(budget, day),
            limit,
            amount,
            caps: spendCaps(limit),
          },
        ],
  );
}

/** A budget's slot caps: the limit split exactly (`slotCaps`), or the unlimited sum. */
export function spendCaps(limit: bigint | null): number[] {
  return slotCaps(limit === null ? UNLIMITED_SPEND : Number(limit), SPEND_SLOTS);
}

/** The total (spent + reserved) at and above which a limited budget is degraded: ceil(limit × percent / 100). */
export function spendDegradeThreshold(limit: bigint, degradeAtPercent: number): bigint {
  return (limit * BigInt(degradeAtPercent) + 99n) / 100n;
}

/** What the one-statement path may leave a budget at: below its degrade threshold (null: unlimited). */
export function spendNormalBelow(limit: bigint | null, degradeAtPercent: number): bigint | null {
  return limit === null ? null : spendDegradeThreshold(limit, degradeAtPercent);
}

export type SpendVerdict = { ok: true; degraded: SpendBudget[] } | { ok: false; refusal: "shed"; budget: SpendBudget };

/**
 * A reservation that fitted every budget (the database took it), judged by the totals it left:
 * a low-priority request is shed when a budget was already degraded before it (as a call is by
 * the request budget); the budgets it leaves at or past their threshold are degraded (to note).
 */
export function judgeReservation(
  scopes: readonly SpendScope[],
  totals: readonly bigint[],
  input: { degradeAtPercent: number; priority: "low" | "normal" },
): SpendVerdict {
  const degraded: SpendBudget[] = [];
  for (const [i, s] of scopes.entries()) {
    const threshold = spendDegradeThreshold(s.limit, input.degradeAtPercent);
    const after = totals[i]!;
    if (input.priority === "low" && after - s.amount >= threshold)
      return { ok: false, refusal: "shed", budget: s.budget };
    if (after >= threshold) degraded.push(s.budget);
  }
  return { ok: true, degraded };
}

export type SpendState = "normal" | "degraded" | "exhausted";

/** The state of a budget at `total` (spent + reserved): degraded from its threshold, exhausted at its limit. */
export function spendState(limit: bigint | null, total: bigint, degradeAtPercent: number): SpendState {
  if (limit === null) return "normal";
  if (total >= limit) return "exhausted";
  return total >= spendDegradeThreshold(limit, degradeAtPercent) ? "degraded" : "normal";
}

/** `limit − total`, never below zero (an overrun can take the total past the limit); null when unlimited. */
export function spendRemaining(limit: bigint | null, total: bigint): bigint | null {
  if (limit === null) return null;
  return total >= limit ? 0n : limit - total;
}
