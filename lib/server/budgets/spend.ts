import "server-only";
import { randomInt } from "node:crypto";
import { localDay, localMonth, nextDailyReset, nextMonthlyReset } from "@/lib/core/calendar";
import { AppError } from "@/lib/core/errors";
import { formatUsd } from "@/lib/core/money";
import {
  judgeReservation,
  SPEND_SLOTS,
  spendNormalBelow,
  spendRemaining,
  spendScopes,
  type SpendBudget,
  type SpendLimits,
  type SpendScope,
} from "@/lib/core/spend";
import type { Sql } from "../db";
import type { AgentPrincipal } from "../agent-api/authenticate";
import { recordModeChange } from "./usage";

/** The limited spend budgets of a call by this principal, with what `estimate` takes from each. */
export function principalSpendScopes(
  p: AgentPrincipal,
  now: Date,
  estimate: { micros: bigint | null; tokens: bigint | null },
  limits: SpendLimits = p.spend,
): SpendScope[] {
  return spendScopes({
    ids: { workspaceId: p.workspace.id, classId: p.workflowClass.id, credentialId: p.credential.id },
    limits,
    day: localDay(now, p.workspace.timeZone),
    estimate,
  });
}

/**
 * The spend limits as committed now, read under a share lock on the workspace's row (FOR KEY SHARE,
 * as the action's own foreign key takes it): a change of limits (spend-limits.ts) locks that row
 * first, so it waits for this transaction, and this one sees every change committed before it —
 * no reservation is decided on a limit that a recount has already replaced.
 */
async function currentLimits(sql: Sql, p: AgentPrincipal): Promise<SpendLimits> {
  const [r] = await sql.query<{
    day: string | null;
    month: string | null;
    tokens: string | null;
    cls: string | null;
    key: string | null;
  }>(
    `SELECT w.daily_usd_limit_micros::text AS day, w.monthly_usd_limit_micros::text AS month,
            w.daily_token_limit::text AS tokens, wc.daily_usd_limit_micros::text AS cls,
            c.daily_usd_limit_micros::text AS key
     FROM workspace w, workflow_class wc, credential c
     WHERE w.id = $1 AND wc.id = $2 AND c.id = $3
     FOR KEY SHARE OF w`,
    [p.workspace.id, p.workflowClass.id, p.credential.id],
  );
  const big = (v: string | null | undefined) => (v == null ? null : BigInt(v));
  return {
    workspace: { dailyUsdMicros: big(r?.day), monthlyUsdMicros: big(r?.month), dailyTokens: big(r?.tokens) },
    classDailyUsdMicros: big(r?.cls),
    credentialDailyUsdMicros: big(r?.key),
  };
}

/** The scopes as spend_reserve's and agent_action_request's array parameters (bigints as text). */
export function spendReserveParams(scopes: readonly SpendScope[], degradeAtPercent: number) {
  return {
    scopes: scopes.map((s) => s.scopeId),
    periods: scopes.map((s) => s.period),
    amounts: scopes.map((s) => s.amount.toString()),
    caps: scopes.flatMap((s) => s.caps.map(String)),
    normalBelow: scopes.map((s) => spendNormalBelow(s.limit, degradeAtPercent)!.toString()),
  };
}

export type Reservation = { scopes: SpendScope[]; slots: number[]; day: string };

/**
 * An action's estimate reserved in every spend budget, all or none, in the caller's transaction
 * (prisma/sql/spend_reserve.sql), judged by lib/core/spend.ts: 429 `spend_budget_exhausted` naming
 * the budget that does not fit, or `degraded_low_priority` for a low-priority request to a
 * degraded budget — each after taking nothing (the caller's transaction rolls back anyway). Entering
 * degraded or exhausted is audited once per period, on a connection of its own and not awaited: the
 * caller holds one in its transaction, and a burst of calls each waiting for a second one would
 * exhaust the pool (the note waits for the call's to come back; a note that fails, the next call makes).
 */
export async function reserveSpend(
  sql: Sql,
  input: {
    principal: AgentPrincipal;
    estimate: { micros: bigint | null; tokens: bigint | null };
    priority: "low" | "normal";
    now: Date;
  },
): Promise<Reservation> {
  const p = input.principal;
  const scopes = principalSpendScopes(p, input.now, input.estimate, await currentLimits(sql, p));
  const day = localDay(input.now, p.workspace.timeZone);
  if (scopes.length === 0) return { scopes, slots: [], day };
  const params = spendReserveParams(scopes, p.workspace.degradeAtPercent);
  const [row] = await sql.query<{ refused: number | null; slots: number[]; totals: string[] }>(
    `SELECT refused, slots, totals::text[] AS totals
     FROM spend_reserve($1::text[], $2::date[], $3::bigint[], $4::bigint[], $5, $6)`,
    [params.scopes, params.periods, params.amounts, params.caps, randomInt(SPEND_SLOTS), SPEND_SLOTS],
  );
  const totals = row!.totals.map(BigInt);
  if (row!.refused !== null) {
    const scope = scopes[row!.refused - 1]!;
    const total = totals[row!.refused - 1]!;
    void noteSpendMode(p, scope, "exhausted", input.now);
    const remaining = spendRemaining(scope.limit, total)!;
    throw new AppError(
      "spend_budget_exhausted",
      `The estimate does not fit the ${describeBudget(scope.budget)}: ${amountText(scope, remaining)} left until it resets.`,
      {
        budget: scope.budget,
        remaining: amountValue(scope, remaining),
        resetAt: resetOf(scope, p, input.now).toISOString(),
      },
    );
  }
  const verdict = judgeReservation(scopes, totals, {
    degradeAtPercent: p.workspace.degradeAtPercent,
    priority: input.priority,
  });
  if (!verdict.ok) {
    const scope = scopes.find((s) => s.budget === verdict.budget)!;
    throw new AppError(
      "degraded_low_priority",
      `The ${describeBudget(scope.budget)} is near its limit: low-priority actions are shed until it resets.`,
      { budget: scope.budget, resetAt: resetOf(scope, p, input.now).toISOString() },
    );
  }
  for (const budget of verdict.degraded)
    void noteSpendMode(
      p,
      scopes.find((s) => s.budget === budget)!,
      "degraded",
      input.now,
    );
  return { scopes, slots: row!.slots, day };
}

const BUDGET_NAMES: Record<SpendBudget, string> = {
  "workspace.daily_usd": "workspace's daily USD budget",
  "workspace.monthly_usd": "workspace's monthly USD budget",
  "workspace.daily_tokens": "workspace's daily token budget",
  "class.daily_usd": "workflow class's daily USD budget",
  "credential.daily_usd": "key's daily USD budget",
};

function describeBudget(budget: SpendBudget): string {
  return BUDGET_NAMES[budget];
}

function isTokens(scope: Pick<SpendScope, "budget">): boolean {
  return scope.budget === "workspace.daily_tokens";
}

/** An amount as the API states it: USD as a decimal number, tokens as an integer. */
function amountValue(scope: SpendScope, amount: bigint): number {
  return isTokens(scope) ? Number(amount) : formatUsd(amount);
}

function amountText(scope: SpendScope, amount: bigint): string {
  return isTokens(scope) ? `${amount} tokens` : `$${formatUsd(amount)}`;
}

function resetOf(scope: SpendScope, p: AgentPrincipal, now: Date): Date {
  return scope.budget === "workspace.monthly_usd"
    ? nextMonthlyReset(now, p.workspace.timeZone)
    : nextDailyReset(now, p.workspace.timeZone);
}

/** A spend budget entering degraded or exhausted, audited once per period and scope (usage_mode_change). */
function noteSpendMode(p: AgentPrincipal, scope: SpendScope, mode: "degraded" | "exhausted", now: Date) {
  const owner =
    scope.budget === "class.daily_usd"
      ? `:${p.workflowClass.name}`
      : scope.budget === "credential.daily_usd"
        ? `:${p.credential.prefix}`
        : "";
  return recordModeChange({
    workspace: p.workspace,
    period: scope.period,
    mode: `spend_${mode}:${scope.budget}${owner}`,
    now,
    audit: {
      action: mode === "exhausted" ? "budget.spend_exhausted" : "budget.spend_degraded",
      reason:
        mode === "exhausted"
          ? `the ${describeBudget(scope.budget)} is spent: new reservations are refused`
          : `the ${describeBudget(scope.budget)} reached ${p.workspace.degradeAtPercent}% of its limit`,
      details: {
        budget: scope.budget,
        period: scope.period,
        limit: amountValue(scope, scope.limit),
        ...(owner ? { scope: owner.slice(1) } : {}),
      },
    },
  });
}

/** One budget's standing, exact: micro-dollars or tokens (null limit: unlimited). */
export type SpendFigures = { limit: bigint | null; spent: bigint; reserved: bigint; resetAt: string };

/** One budget as GET /policy shows it: amounts in the API's units, and what is left. */
export type SpendFiguresJson = {
  limit: number | null;
  spent: number;
  reserved: number;
  remaining: number | null;
  resetAt: string;
};

type StandingRow = {
  day_usd_spent: string;
  day_usd_reserved: string;
  month_usd_spent: string;
  month_usd_reserved: string;
  day_tokens_spent: string;
  day_tokens_reserved: string;
  class_usd_spent: string;
  class_usd_reserved: string;
  key_usd_spent: string;
  key_usd_reserved: string;
};

/** Whose spend budgets to read: a workspace's, and a class's and a key's in it (null: not asked for). */
export type SpendSubject = {
  workspace: { id: string; timeZone: string };
  workflowClass: { id: string } | null;
  credential: { id: string } | null;
  spend: SpendLimits;
};

/**
 * Spent and reserved in each spend budget of a subject (an agent's principal; the dashboard's
 * workspace), from the actions of the period (action_spent, action_reserved: the amounts the
 * counters hold), in one query over the workspace's actions of this month (index
 * action_workspace_id_spend_day_idx), exact. GET /policy's `limits.spend` (`spendStandingJson`), and
 * the Budgets page's gauges.
 */
export async function readSpendStanding(sql: Sql, p: SpendSubject, now: Date) {
  const tz = p.workspace.timeZone;
  const day = localDay(now, tz);
  const month = localMonth(now, tz);
  const [r] = await sql.query<StandingRow>(
    `SELECT
       COALESCE(sum(action_spent(a.status, a.estimate_micros, a.actual_micros)) FILTER (WHERE a.spend_day = $2::date), 0)::text AS day_usd_spent,
       COALESCE(sum(action_reserved(a.status, a.estimate_micros)) FILTER (WHERE a.spend_day = $2::date), 0)::text AS day_usd_reserved,
       COALESCE(sum(action_spent(a.status, a.estimate_micros, a.actual_micros)), 0)::text AS month_usd_spent,
       COALESCE(sum(action_reserved(a.status, a.estimate_micros)), 0)::text AS month_usd_reserved,
       COALESCE(sum(action_spent(a.status, a.estimate_tokens, a.actual_tokens)) FILTER (WHERE a.spend_day = $2::date), 0)::text AS day_tokens_spent,
       COALESCE(sum(action_reserved(a.status, a.estimate_tokens)) FILTER (WHERE a.spend_day = $2::date), 0)::text AS day_tokens_reserved,
       COALESCE(sum(action_spent(a.status, a.estimate_micros, a.actual_micros))
         FILTER (WHERE a.spend_day = $2::date AND a.workflow_class_id = $4), 0)::text AS class_usd_spent,
       COALESCE(sum(action_reserved(a.status, a.estimate_micros))
         FILTER (WHERE a.spend_day = $2::date AND a.workflow_class_id = $4), 0)::text AS class_usd_reserved,
       COALESCE(sum(action_spent(a.status, a.estimate_micros, a.actual_micros))
         FILTER (WHERE a.spend_day = $2::date AND a.credential_id = $5), 0)::text AS key_usd_spent,
       COALESCE(sum(action_reserved(a.status, a.estimate_micros))
         FILTER (WHERE a.spend_day = $2::date AND a.credential_id = $5), 0)::text AS key_usd_reserved
     FROM action a
     WHERE a.workspace_id = $1 AND a.spend_day >= $3::date AND a.spend_day <= $2::date`,
    [p.workspace.id, day, month, p.workflowClass?.id ?? null, p.credential?.id ?? null],
  );
  const dailyReset = nextDailyReset(now, tz).toISOString();
  const monthlyReset = nextMonthlyReset(now, tz).toISOString();
  const f = (limit: bigint | null, spent: string, reserved: string, resetAt: string): SpendFigures => ({
    limit,
    spent: BigInt(spent),
    reserved: BigInt(reserved),
    resetAt,
  });
  return {
    usd: {
      daily: f(p.spend.workspace.dailyUsdMicros, r!.day_usd_spent, r!.day_usd_reserved, dailyReset),
      monthly: f(p.spend.workspace.monthlyUsdMicros, r!.month_usd_spent, r!.month_usd_reserved, monthlyReset),
    },
    tokens: { daily: f(p.spend.workspace.dailyTokens, r!.day_tokens_spent, r!.day_tokens_reserved, dailyReset) },
    class: { usd: { daily: f(p.spend.classDailyUsdMicros, r!.class_usd_spent, r!.class_usd_reserved, dailyReset) } },
    credential: {
      usd: { daily: f(p.spend.credentialDailyUsdMicros, r!.key_usd_spent, r!.key_usd_reserved, dailyReset) },
    },
  };
}
export type SpendStandingFigures = Awaited<ReturnType<typeof readSpendStanding>>;

/** The standing as GET /policy's `limits.spend` (API.md): USD as decimal numbers, tokens as integers. */
export function spendStandingJson(s: SpendStandingFigures) {
  return {
    usd: { daily: figuresJson(s.usd.daily, formatUsd), monthly: figuresJson(s.usd.monthly, formatUsd) },
    tokens: { daily: figuresJson(s.tokens.daily, Number) },
    class: { usd: { daily: figuresJson(s.class.usd.daily, formatUsd) } },
    credential: { usd: { daily: figuresJson(s.credential.usd.daily, formatUsd) } },
  };
}

function figuresJson(f: SpendFigures, toApi: (amount: bigint) => number): SpendFiguresJson {
  const remaining = spendRemaining(f.limit, f.spent + f.reserved);
  return {
    limit: f.limit === null ? null : toApi(f.limit),
    spent: toApi(f.spent),
    reserved: toApi(f.reserved),
    remaining: remaining === null ? null : toApi(remaining),
    resetAt: f.resetAt,
  };
}
