import "server-only";
import { countingApprovers, type ActionStatus } from "@/lib/core/actions";
import { localDay } from "@/lib/core/calendar";
import { Prisma } from "@/lib/generated/prisma/client";
import { getDb } from "../db";
import { actionSelect, argumentsInForce, coreApprovals } from "./action-view";

/**
 * What the dashboard reads about actions: the workspace's list (filters, keyset pagination on
 * (created_at, id) — the index action_workspace_id_created_at_id_idx), the decisions per day for
 * the chart, the pending count for the nav badge and the approvals queue. Reads only.
 */

export type ActionFilters = {
  status?: ActionStatus;
  /** An exact action name, or a prefix: `payments.*` (below payments) or `pay*`. */
  action?: string;
  identityId?: string;
  /** A rule's id or name (the copy the action kept: deleted rules still match). */
  rule?: string;
  createdFrom?: Date;
  createdTo?: Date;
  taskId?: string;
  /** Only actions people decided (or let expire): not pending, with a decision or expired. */
  decidedApprovals?: boolean;
};

export type ActionCursor = { createdAt: string; id: string };

export function encodeActionCursor(row: { createdAt: Date; id: string }): string {
  return Buffer.from(JSON.stringify({ createdAt: row.createdAt.toISOString(), id: row.id })).toString("base64url");
}

export function decodeActionCursor(cursor: string | undefined | null): ActionCursor | null {
  if (!cursor) return null;
  try {
    const parsed = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8")) as ActionCursor;
    return typeof parsed.id === "string" && !Number.isNaN(Date.parse(parsed.createdAt)) ? parsed : null;
  } catch {
    return null;
  }
}

/**
 * `payments.*` → starts with `payments.`; `pay*` → starts with `pay`; otherwise the exact name.
 * Prisma's startsWith is a LIKE that leaves `_` and `%` as wildcards (action names may hold `_`):
 * they are escaped here.
 */
function actionNameWhere(text: string): Prisma.ActionWhereInput {
  if (text.endsWith("*")) return { action: { startsWith: text.slice(0, -1).replace(/[\\%_]/g, (c) => `\\${c}`) } };
  return { action: text };
}

function actionWhere(
  workspaceId: string,
  filters: ActionFilters,
  cursor: ActionCursor | null,
): Prisma.ActionWhereInput {
  const and: Prisma.ActionWhereInput[] = [];
  if (filters.action) and.push(actionNameWhere(filters.action));
  if (filters.rule) and.push({ OR: [{ ruleId: filters.rule }, { ruleName: filters.rule }] });
  if (filters.createdFrom) and.push({ createdAt: { gte: filters.createdFrom } });
  if (filters.createdTo) and.push({ createdAt: { lte: filters.createdTo } });
  if (filters.decidedApprovals)
    and.push({ status: { not: "pending_approval" } }, { OR: [{ approvals: { some: {} } }, { status: "expired" }] });
  if (cursor)
    and.push({
      OR: [
        { createdAt: { lt: new Date(cursor.createdAt) } },
        { createdAt: new Date(cursor.createdAt), id: { lt: cursor.id } },
      ],
    });
  return {
    workspaceId,
    ...(filters.status ? { status: filters.status } : {}),
    ...(filters.identityId ? { identityId: filters.identityId } : {}),
    ...(filters.taskId ? { taskId: filters.taskId } : {}),
    AND: and,
  };
}

const listSelect = {
  id: true,
  action: true,
  status: true,
  summary: true,
  resource: true,
  ruleId: true,
  ruleName: true,
  shadow: true,
  estimateMicros: true,
  estimateTokens: true,
  actualMicros: true,
  actualTokens: true,
  overrun: true,
  requiredApprovals: true,
  expiresAt: true,
  taskId: true,
  createdAt: true,
  decidedAt: true,
  identity: { select: { id: true, name: true } },
  workflowClass: { select: { name: true } },
  approvals: { orderBy: { id: "asc" }, select: { decision: true, byName: true, reason: true, createdAt: true } },
} as const satisfies Prisma.ActionSelect;

export type ActionListRow = Prisma.ActionGetPayload<{ select: typeof listSelect }>;

/** Newest first, keyset-paginated on (created_at, id). */
export async function listActions(
  workspaceId: string,
  filters: ActionFilters,
  options: { cursor?: ActionCursor | null; limit?: number } = {},
): Promise<{ items: ActionListRow[]; nextCursor: string | null }> {
  const limit = Math.min(Math.max(options.limit ?? 50, 1), 200);
  const rows = await getDb().action.findMany({
    where: actionWhere(workspaceId, filters, options.cursor ?? null),
    orderBy: [{ createdAt: "desc" }, { id: "desc" }],
    take: limit + 1,
    select: listSelect,
  });
  const items = rows.slice(0, limit);
  return { items, nextCursor: rows.length > limit ? encodeActionCursor(items[items.length - 1]!) : null };
}

/** The nav badge: actions waiting for people. */
export function countPending(workspaceId: string): Promise<number> {
  return getDb().action.count({ where: { workspaceId, status: "pending_approval" } });
}

/** The copy of the deciding rule an action keeps (rules.ts `ruleJson`), as far as the dashboard shows it. */
export type RuleCopy = {
  id: string;
  name: string;
  action: string;
  effect: string;
  mode: string;
  requiredApprovals?: number;
  approvalTimeoutSeconds?: number;
  maxEstimateUsd?: number | null;
  message?: string | null;
};

export function ruleCopy(rule: unknown): RuleCopy | null {
  if (!rule || typeof rule !== "object") return null;
  const r = rule as Partial<RuleCopy>;
  return typeof r.id === "string" && typeof r.name === "string" ? (r as RuleCopy) : null;
}

const detailSelect = {
  ...actionSelect,
  identity: { select: { id: true, name: true, status: true } },
  workflowClass: { select: { name: true } },
} as const satisfies Prisma.ActionSelect;

export type ActionDetailRow = Prisma.ActionGetPayload<{ select: typeof detailSelect }>;

/** What the queue and the detail page show beside the row: the rule, the count so far, the time left. */
function withApprovalState(row: ActionDetailRow, now: Date) {
  return {
    ...row,
    ruleCopy: ruleCopy(row.rule),
    approvalsCounted: countingApprovers(coreApprovals(row), argumentsInForce(row)).length,
    timeLeftMs: row.status === "pending_approval" && row.expiresAt ? row.expiresAt.getTime() - now.getTime() : null,
  };
}
export type ActionWithApprovalState = ReturnType<typeof withApprovalState>;

/** The approvals queue: pending actions, oldest first. */
export async function listPendingApprovals(
  workspaceId: string,
  now: Date = new Date(),
  take = 200,
): Promise<ActionWithApprovalState[]> {
  const rows = await getDb().action.findMany({
    where: { workspaceId, status: "pending_approval" },
    orderBy: [{ createdAt: "asc" }, { id: "asc" }],
    take,
    select: detailSelect,
  });
  return rows.map((row) => withApprovalState(row, now));
}

/** One action of the workspace with everything the detail page shows, or null. */
export async function getActionDetail(
  workspaceId: string,
  actionId: string,
  now: Date = new Date(),
): Promise<ActionWithApprovalState | null> {
  const row = await getDb().action.findFirst({ where: { id: actionId, workspaceId }, select: detailSelect });
  return row ? withApprovalState(row, now) : null;
}

export const DECISION_KINDS = ["allowed", "denied", "approved", "rejected", "expired", "shadowWouldDeny"] as const;
export type DecisionKind = (typeof DECISION_KINDS)[number];
export type DecisionDay = { day: string } & Record<DecisionKind, number>;

/** The longest approval timeout a rule may have (lib/validations/actions.ts): bounds how old a decided action can be. */
const MAX_APPROVAL_MS = 30 * 24 * 3600 * 1000;

function addDays(day: string, days: number): string {
  const [y, m, d] = day.split("-").map(Number) as [number, number, number];
  return new Date(Date.UTC(y, m - 1, d + days)).toISOString().slice(0, 10);
}

/**
 * Decisions per local day (the workspace's time zone) over the last `days` days, today included:
 * - allowed / denied: decided by a rule at the request (requestAction stamps decided_at = created_at),
 *   counted on the request's day;
 * - approved: the approval that completed the count (decide-approval.ts stamps the approval and the
 *   action's decided_at with the same instant), counted on that day — a later cancel does not undo it;
 * - rejected / expired: on the day they were decided;
 * - shadowWouldDeny: requests a shadow rule would have denied, on the request's day.
 */
export async function actionDecisionsPerDay(
  workspaceId: string,
  timeZone: string,
  now: Date = new Date(),
  days = 14,
): Promise<DecisionDay[]> {
  const lastDay = localDay(now, timeZone);
  const firstDay = addDays(lastDay, -(days - 1));
  // Coarse bound on created_at (uses the index): a day's start is at most 14 h before UTC midnight.
  const createdSince = new Date(Date.parse(`${firstDay}T00:00:00Z`) - 14 * 3600 * 1000 - MAX_APPROVAL_MS);
  const rows = await getDb().$queryRaw<{ day: string; kind: DecisionKind; n: number }[]>(Prisma.sql`
    SELECT to_char(d.day, 'YYYY-MM-DD') AS day, e.kind, count(*)::int AS n
    FROM action a
    CROSS JOIN LATERAL (VALUES
      ('allowed', a.created_at, a.decided_at = a.created_at AND a.status NOT IN ('denied', 'pending_approval')),
      ('denied', a.created_at, a.status = 'denied'),
      ('approved', a.decided_at, a.decided_at > a.created_at AND EXISTS (
        SELECT 1 FROM action_approval p
        WHERE p.action_id = a.id AND p.decision = 'approve' AND p.created_at = a.decided_at)),
      ('rejected', a.decided_at, a.status = 'rejected'),
      ('expired', a.decided_at, a.status = 'expired'),
      ('shadowWouldDeny', a.created_at, a.shadow @> '[{"wouldBe": "denied"}]'::jsonb)
    ) AS e(kind, at, hit)
    CROSS JOIN LATERAL (SELECT (e.at AT TIME ZONE ${timeZone})::date AS day) d
    WHERE a.workspace_id = ${workspaceId} AND a.created_at >= ${createdSince} AND e.hit AND e.at IS NOT NULL
      AND d.day BETWEEN ${firstDay}::date AND ${lastDay}::date
    GROUP BY 1, 2`);
  const empty = (): Record<DecisionKind, number> =>
    Object.fromEntries(DECISION_KINDS.map((k) => [k, 0])) as Record<DecisionKind, number>;
  const byDay = new Map(Array.from({ length: days }, (_, i) => [addDays(firstDay, i), empty()]));
  for (const row of rows) {
    const counts = byDay.get(row.day);
    if (counts) counts[row.kind] = row.n;
  }
  return [...byDay].map(([day, counts]) => ({ day, ...counts }));
}
