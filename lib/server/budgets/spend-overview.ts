import "server-only";
import { localDay, localMonth } from "@/lib/core/calendar";
import { AppError } from "@/lib/core/errors";
import { spendState, type SpendBudget, type SpendLimits, type SpendState } from "@/lib/core/spend";
import type { SpendCsvRow } from "@/lib/core/spend-export";
import { writeAudit, type Actor } from "../audit";
import { getDb, poolSql, type Sql } from "../db";
import { readSpendStanding, type SpendFigures } from "./spend";
import type { SpendLimitChange } from "./spend-limits";

/**
 * What the Budgets page's Spend section reads: the workspace's standing (budgets/spend.ts
 * `readSpendStanding`, the same figures GET /policy gives), the daily series, the top spenders and
 * the CSV rows. Every amount is summed in SQL with action_spent / action_reserved — the one
 * definition of what an action spent and holds — and leaves as a bigint (micro-dollars or tokens).
 * Reads only, but for the export's audit event.
 */

/** One budget's standing in exact units: micro-dollars, or tokens. */
export type SpendGaugeFigures = {
  budget: SpendBudget;
  limit: bigint | null;
  spent: bigint;
  reserved: bigint;
  resetAt: string;
  state: SpendState;
};
export type { SpendState };

function gauge(budget: SpendBudget, f: SpendFigures, degradeAtPercent: number): SpendGaugeFigures {
  return {
    budget,
    limit: f.limit,
    spent: f.spent,
    reserved: f.reserved,
    resetAt: f.resetAt,
    state: spendState(f.limit, f.spent + f.reserved, degradeAtPercent),
  };
}

async function loadWorkspace(workspaceId: string) {
  return getDb().workspace.findUniqueOrThrow({
    where: { id: workspaceId },
    select: {
      timeZone: true,
      degradeAtPercent: true,
      dailyUsdLimitMicros: true,
      monthlyUsdLimitMicros: true,
      dailyTokenLimit: true,
    },
  });
}

/** The workspace's three spend gauges (today's USD, this month's USD, today's tokens), from the standing. */
export async function getSpendStanding(workspaceId: string, now: Date = new Date(), sql: Sql = poolSql()) {
  const w = await loadWorkspace(workspaceId);
  const spend: SpendLimits = {
    workspace: {
      dailyUsdMicros: w.dailyUsdLimitMicros,
      monthlyUsdMicros: w.monthlyUsdLimitMicros,
      dailyTokens: w.dailyTokenLimit,
    },
    classDailyUsdMicros: null,
    credentialDailyUsdMicros: null,
  };
  const standing = await readSpendStanding(
    sql,
    { workspace: { id: workspaceId, timeZone: w.timeZone }, workflowClass: null, credential: null, spend },
    now,
  );
  const p = w.degradeAtPercent;
  return {
    timeZone: w.timeZone,
    day: localDay(now, w.timeZone),
    month: localMonth(now, w.timeZone).slice(0, 7),
    degradeAtPercent: p,
    dailyUsd: gauge("workspace.daily_usd", standing.usd.daily, p),
    monthlyUsd: gauge("workspace.monthly_usd", standing.usd.monthly, p),
    dailyTokens: gauge("workspace.daily_tokens", standing.tokens.daily, p),
  };
}
export type SpendStanding = Awaited<ReturnType<typeof getSpendStanding>>;

function addDays(day: string, days: number): string {
  const [y, m, d] = day.split("-").map(Number) as [number, number, number];
  return new Date(Date.UTC(y, m - 1, d + days)).toISOString().slice(0, 10);
}

export type SpendDay = {
  day: string;
  spentMicros: bigint;
  reservedMicros: bigint;
  spentTokens: bigint;
  reservedTokens: bigint;
};

/** USD and tokens spent and reserved per local day (action.spend_day), the last `days` days with today, every day present. */
export async function spendPerDay(
  workspaceId: string,
  timeZone: string,
  now: Date = new Date(),
  days = 30,
  sql: Sql = poolSql(),
): Promise<SpendDay[]> {
  const today = localDay(now, timeZone);
  const first = addDays(today, -(days - 1));
  const rows = await sql.query<{ day: string; sm: string; rm: string; st: string; rt: string }>(
    `SELECT to_char(a.spend_day, 'YYYY-MM-DD') AS day,
       sum(action_spent(a.status, a.estimate_micros, a.actual_micros))::text AS sm,
       sum(action_reserved(a.status, a.estimate_micros))::text AS rm,
       sum(action_spent(a.status, a.estimate_tokens, a.actual_tokens))::text AS st,
       sum(action_reserved(a.status, a.estimate_tokens))::text AS rt
     FROM action a
     WHERE a.workspace_id = $1 AND a.spend_day >= $2::date AND a.spend_day <= $3::date
     GROUP BY a.spend_day`,
    [workspaceId, first, today],
  );
  const byDay = new Map(rows.map((r) => [r.day, r]));
  return Array.from({ length: days }, (_, i) => {
    const day = addDays(first, i);
    const r = byDay.get(day);
    return {
      day,
      spentMicros: BigInt(r?.sm ?? 0),
      reservedMicros: BigInt(r?.rm ?? 0),
      spentTokens: BigInt(r?.st ?? 0),
      reservedTokens: BigInt(r?.rt ?? 0),
    };
  });
}

export const SPENDER_DIMENSIONS = ["class", "identity", "key", "action"] as const;
export type SpenderDimension = (typeof SPENDER_DIMENSIONS)[number];

/** One spender's spend today and this month (USD spent and reserved, tokens spent). */
export type Spender = {
  dimension: SpenderDimension;
  /** The class's, identity's or key's id; the action's name. */
  id: string;
  /** What people read: the class's or identity's name, the key's prefix, the action's name. */
  label: string;
  today: { spent: bigint; reserved: bigint; tokens: bigint };
  month: { spent: bigint; reserved: bigint; tokens: bigint };
};

type SpenderRow = {
  dimension: SpenderDimension;
  id: string;
  label: string | null;
  ds: string;
  dr: string;
  dt: string;
  ms: string;
  mr: string;
  mt: string;
};

/**
 * Every class's, identity's, key's and action name's spend today and this month (local day and
 * calendar month of the workspace), in one pass over this month's actions (index
 * action_workspace_id_spend_day_idx). Ordered by this month's spent + reserved, largest first.
 */
export async function spendBySpender(
  workspaceId: string,
  timeZone: string,
  now: Date = new Date(),
  sql: Sql = poolSql(),
): Promise<Spender[]> {
  const rows = await sql.query<SpenderRow>(
    `WITH a AS (
       SELECT a.workflow_class_id, a.identity_id, a.credential_id, a.action, a.spend_day = $2::date AS today,
         action_spent(a.status, a.estimate_micros, a.actual_micros) AS spent,
         action_reserved(a.status, a.estimate_micros) AS reserved,
         action_spent(a.status, a.estimate_tokens, a.actual_tokens) AS tokens
       FROM action a
       WHERE a.workspace_id = $1 AND a.spend_day >= $3::date AND a.spend_day <= $2::date
     ), g AS (
       SELECT
         CASE WHEN GROUPING(workflow_class_id) = 0 THEN 'class'
              WHEN GROUPING(identity_id) = 0 THEN 'identity'
              WHEN GROUPING(credential_id) = 0 THEN 'key'
              ELSE 'action' END AS dimension,
         COALESCE(workflow_class_id, identity_id, credential_id, action) AS id,
         COALESCE(sum(spent) FILTER (WHERE today), 0) AS ds,
         COALESCE(sum(reserved) FILTER (WHERE today), 0) AS dr,
         COALESCE(sum(tokens) FILTER (WHERE today), 0) AS dt,
         sum(spent) AS ms, sum(reserved) AS mr, sum(tokens) AS mt
       FROM a
       GROUP BY GROUPING SETS ((workflow_class_id), (identity_id), (credential_id), (action))
     )
     SELECT g.dimension, g.id,
       CASE g.dimension
         WHEN 'class' THEN (SELECT c.name FROM workflow_class c WHERE c.id = g.id)
         WHEN 'identity' THEN (SELECT i.name FROM identity i WHERE i.id = g.id)
         WHEN 'key' THEN (SELECT k.prefix FROM credential k WHERE k.id = g.id)
         ELSE g.id END AS label,
       g.ds::text AS ds, g.dr::text AS dr, g.dt::text AS dt, g.ms::text AS ms, g.mr::text AS mr, g.mt::text AS mt
     FROM g
     ORDER BY g.dimension, g.ms + g.mr DESC, g.mt DESC, g.id`,
    [workspaceId, localDay(now, timeZone), localMonth(now, timeZone)],
  );
  return rows.map((r) => ({
    dimension: r.dimension,
    id: r.id,
    label: r.label ?? r.id,
    today: { spent: BigInt(r.ds), reserved: BigInt(r.dr), tokens: BigInt(r.dt) },
    month: { spent: BigInt(r.ms), reserved: BigInt(r.mr), tokens: BigInt(r.mt) },
  }));
}

/**
 * The top `n` spenders of each dimension today and this month: those among the `n` largest by
 * today's or by this month's spent + reserved USD (tokens break ties), with any spend at all.
 */
export function topSpenders(spenders: Spender[], n = 5): Record<SpenderDimension, Spender[]> {
  const weight = (p: Spender["today"]) => p.spent + p.reserved;
  const desc = (a: bigint, b: bigint) => (a > b ? -1 : a < b ? 1 : 0);
  const out = Object.fromEntries(SPENDER_DIMENSIONS.map((d) => [d, [] as Spender[]])) as Record<
    SpenderDimension,
    Spender[]
  >;
  for (const dimension of SPENDER_DIMENSIONS) {
    const mine = spenders.filter((s) => s.dimension === dimension);
    const rank = (period: "today" | "month") =>
      mine
        .filter((s) => weight(s[period]) > 0n || s[period].tokens > 0n)
        .sort((a, b) => desc(weight(a[period]), weight(b[period])) || desc(a[period].tokens, b[period].tokens))
        .slice(0, n);
    const keep = new Set([...rank("today"), ...rank("month")]);
    out[dimension] = mine
      .filter((s) => keep.has(s))
      .sort((a, b) => desc(weight(a.month), weight(b.month)) || desc(weight(a.today), weight(b.today)));
  }
  return out;
}

/** The workspace's classes and live keys with their daily USD limits and today's spend (the limit forms' tables). */
export async function spendLimitOwners(workspaceId: string, spenders: Spender[], now: Date = new Date()) {
  const db = getDb();
  const [classes, keys] = await Promise.all([
    db.workflowClass.findMany({
      where: { workspaceId },
      select: { id: true, name: true, dailyUsdLimitMicros: true },
      orderBy: { name: "asc" },
    }),
    db.credential.findMany({
      where: { workspaceId, revokedAt: null, expiresAt: { gt: now } },
      select: { id: true, prefix: true, dailyUsdLimitMicros: true, identity: { select: { name: true } } },
      orderBy: [{ identity: { name: "asc" } }, { prefix: "asc" }],
      take: 50,
    }),
  ]);
  const today = (dimension: SpenderDimension, id: string) => {
    const s = spenders.find((x) => x.dimension === dimension && x.id === id);
    return { spent: s?.today.spent ?? 0n, reserved: s?.today.reserved ?? 0n };
  };
  return {
    classes: classes.map((c) => ({
      id: c.id,
      name: c.name,
      limit: c.dailyUsdLimitMicros,
      today: today("class", c.id),
    })),
    keys: keys.map((k) => ({
      id: k.id,
      prefix: k.prefix,
      identity: k.identity.name,
      limit: k.dailyUsdLimitMicros,
      today: today("key", k.id),
    })),
  };
}

export type SpendLimitOwners = Awaited<ReturnType<typeof spendLimitOwners>>;

/** Spend per local day × class × action name over the last `days` days, today included (the CSV export's rows). */
export async function spendCsvRows(
  workspaceId: string,
  timeZone: string,
  now: Date = new Date(),
  days = 30,
  sql: Sql = poolSql(),
): Promise<SpendCsvRow[]> {
  const today = localDay(now, timeZone);
  const rows = await sql.query<{
    day: string;
    class: string;
    action: string;
    actions: number;
    sm: string;
    rm: string;
    st: string;
    overruns: number;
  }>(
    `SELECT to_char(a.spend_day, 'YYYY-MM-DD') AS day, c.name AS class, a.action, count(*)::int AS actions,
       sum(action_spent(a.status, a.estimate_micros, a.actual_micros))::text AS sm,
       sum(action_reserved(a.status, a.estimate_micros))::text AS rm,
       sum(action_spent(a.status, a.estimate_tokens, a.actual_tokens))::text AS st,
       count(*) FILTER (WHERE a.overrun)::int AS overruns
     FROM action a JOIN workflow_class c ON c.id = a.workflow_class_id
     WHERE a.workspace_id = $1 AND a.spend_day >= $2::date AND a.spend_day <= $3::date
     GROUP BY a.spend_day, c.id, c.name, a.action
     ORDER BY a.spend_day, c.name, a.action`,
    [workspaceId, addDays(today, -(days - 1)), today],
  );
  return rows.map((r) => ({
    day: r.day,
    class: r.class,
    action: r.action,
    actions: r.actions,
    spentMicros: BigInt(r.sm),
    reservedMicros: BigInt(r.rm),
    spentTokens: BigInt(r.st),
    overruns: r.overruns,
  }));
}

/** The CSV export's rows, after its audit event (`budget.spend_exported`: who took the figures out, and which days). */
export async function exportSpend(input: { workspaceId: string; actor: Actor; days?: number; now?: Date }) {
  const days = input.days ?? 30;
  const now = input.now ?? new Date();
  const { timeZone } = await loadWorkspace(input.workspaceId);
  await writeAudit(getDb(), {
    workspaceId: input.workspaceId,
    actor: input.actor,
    action: "budget.spend_exported",
    details: { days, to: localDay(now, timeZone), format: "csv" },
  });
  return spendCsvRows(input.workspaceId, timeZone, now, days);
}

/**
 * The workspace form's three limits as changes for setSpendLimits: only those that differ from
 * the stored ones (the audit event lists what changed, not what was re-typed).
 */
export async function workspaceLimitChanges(
  workspaceId: string,
  next: { dailyUsd: bigint | null; monthlyUsd: bigint | null; dailyTokens: bigint | null },
): Promise<SpendLimitChange[]> {
  const w = await getDb().workspace.findUnique({
    where: { id: workspaceId },
    select: { dailyUsdLimitMicros: true, monthlyUsdLimitMicros: true, dailyTokenLimit: true },
  });
  if (!w) throw new AppError("not_found", "No such workspace.");
  const changes: SpendLimitChange[] = [];
  if (w.dailyUsdLimitMicros !== next.dailyUsd) changes.push({ budget: "workspace.daily_usd", limit: next.dailyUsd });
  if (w.monthlyUsdLimitMicros !== next.monthlyUsd)
    changes.push({ budget: "workspace.monthly_usd", limit: next.monthlyUsd });
  if (w.dailyTokenLimit !== next.dailyTokens)
    changes.push({ budget: "workspace.daily_tokens", limit: next.dailyTokens });
  return changes;
}

/** A spend budget degraded or exhausted today (this month for the monthly one): the Spend section's banner. */
export type SpendAlert = {
  budget: SpendBudget;
  owner: string | null;
  state: Exclude<SpendState, "normal">;
  resetAt: string;
};

/**
 * The budgets at or past their degrade threshold now, live from the standing and today's spend per
 * class and key (not from usage_mode_change, which records only the first crossing).
 */
export function spendAlerts(standing: SpendStanding, owners: SpendLimitOwners): SpendAlert[] {
  const alerts: SpendAlert[] = [];
  for (const g of [standing.dailyUsd, standing.monthlyUsd, standing.dailyTokens])
    if (g.state !== "normal") alerts.push({ budget: g.budget, owner: null, state: g.state, resetAt: g.resetAt });
  const dailyReset = standing.dailyUsd.resetAt;
  const scoped = [
    ...owners.classes.map((c) => ({
      budget: "class.daily_usd" as const,
      owner: c.name,
      limit: c.limit,
      today: c.today,
    })),
    ...owners.keys.map((k) => ({
      budget: "credential.daily_usd" as const,
      owner: k.prefix,
      limit: k.limit,
      today: k.today,
    })),
  ];
  for (const s of scoped) {
    const state = spendState(s.limit, s.today.spent + s.today.reserved, standing.degradeAtPercent);
    if (state !== "normal") alerts.push({ budget: s.budget, owner: s.owner, state, resetAt: dailyReset });
  }
  return alerts;
}
