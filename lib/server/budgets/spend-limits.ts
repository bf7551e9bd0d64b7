import "server-only";
import { localDay } from "@/lib/core/calendar";
import { AppError } from "@/lib/core/errors";
import { formatUsd } from "@/lib/core/money";
import { spendCaps, spendOwner, spendPeriod, spendPeriodEnd, spendScopeId, type SpendBudget } from "@/lib/core/spend";
import { writeAudit, type Actor } from "../audit";
import { getDb, prismaSql, type Tx } from "../db";

/** A change of one spend limit: which budget (and, for a class or a key, whose), and the new limit (null: unlimited). */
export type SpendLimitChange =
  | { budget: "workspace.daily_usd" | "workspace.monthly_usd" | "workspace.daily_tokens"; limit: bigint | null }
  | { budget: "class.daily_usd"; classId: string; limit: bigint | null }
  | { budget: "credential.daily_usd"; credentialId: string; limit: bigint | null };

/** A limit as people read it: USD as a decimal number, tokens as a whole number, null for unlimited. */
export function limitValue(budget: SpendBudget, limit: bigint | null): number | null {
  if (limit === null) return null;
  return budget === "workspace.daily_tokens" ? Number(limit) : formatUsd(limit);
}

/**
 * Sets spend limits (the Budgets page, the CLI), each applying at once to the rest of its period:
 * the changed limit, the period's counters counted afresh from its actions and laid out under it
 * (prisma/sql/spend_recount.sql) and one audit event `budget.spend_limits_changed` (from → to, per
 * budget), in one transaction — or, for a class or key not in the workspace, 404 and nothing
 * changed. The workspace's row is locked first (FOR UPDATE): reservations share it (FOR KEY SHARE),
 * so none runs while the counters are recounted, and none decided on the old limits commits after.
 * A cleared limit leaves its counters as they are: reservations skip the budget from now on.
 */
export async function setSpendLimits(input: {
  workspaceId: string;
  actor: Actor;
  changes: SpendLimitChange[];
  reason?: string;
  /** Inside a caller's transaction (creating a class or key with its limit). */
  tx?: Tx;
}): Promise<void> {
  if (input.changes.length === 0) return;
  const run = async (tx: Tx) => {
    const sql = prismaSql(tx);
    await sql.query(`SELECT 1 FROM workspace WHERE id = $1 FOR UPDATE`, [input.workspaceId]);
    const w = await tx.workspace.findUnique({
      where: { id: input.workspaceId },
      select: {
        slug: true,
        timeZone: true,
        dailyUsdLimitMicros: true,
        monthlyUsdLimitMicros: true,
        dailyTokenLimit: true,
      },
    });
    if (!w) throw new AppError("not_found", "No such workspace.");
    const now = new Date();
    const day = localDay(now, w.timeZone);
    const audited: Record<string, unknown>[] = [];
    for (const change of input.changes) {
      const { from, scopeId, ownerId, name } = await applyChange(tx, input.workspaceId, w, change);
      if (change.limit !== null)
        await sql.query(`SELECT spend_recount($1, $2::date, $3::date, $4::bigint, $5::bigint[], $6, $7, $8, $9)`, [
          scopeId,
          spendPeriod(change.budget, day),
          spendPeriodEnd(change.budget, day),
          change.limit.toString(),
          spendCaps(change.limit).map(String),
          input.workspaceId,
          spendOwner(change.budget),
          ownerId,
          change.budget === "workspace.daily_tokens",
        ]);
      audited.push({
        budget: change.budget,
        ...(name ? { scope: name } : {}),
        from: limitValue(change.budget, from),
        to: limitValue(change.budget, change.limit),
      });
    }
    await writeAudit(tx, {
      workspaceId: input.workspaceId,
      actor: input.actor,
      action: "budget.spend_limits_changed",
      target: w.slug,
      reason: input.reason,
      details: { changes: audited },
    });
  };
  if (input.tx) await run(input.tx);
  else await getDb().$transaction(run);
}

async function applyChange(
  tx: Tx,
  workspaceId: string,
  w: { dailyUsdLimitMicros: bigint | null; monthlyUsdLimitMicros: bigint | null; dailyTokenLimit: bigint | null },
  change: SpendLimitChange,
): Promise<{ from: bigint | null; scopeId: string; ownerId: string; name: string | null }> {
  switch (change.budget) {
    case "workspace.daily_usd":
      await tx.workspace.update({ where: { id: workspaceId }, data: { dailyUsdLimitMicros: change.limit } });
      return {
        from: w.dailyUsdLimitMicros,
        scopeId: spendScopeId(change.budget, workspaceId),
        ownerId: workspaceId,
        name: null,
      };
    case "workspace.monthly_usd":
      await tx.workspace.update({ where: { id: workspaceId }, data: { monthlyUsdLimitMicros: change.limit } });
      return {
        from: w.monthlyUsdLimitMicros,
        scopeId: spendScopeId(change.budget, workspaceId),
        ownerId: workspaceId,
        name: null,
      };
    case "workspace.daily_tokens":
      await tx.workspace.update({ where: { id: workspaceId }, data: { dailyTokenLimit: change.limit } });
      return {
        from: w.dailyTokenLimit,
        scopeId: spendScopeId(change.budget, workspaceId),
        ownerId: workspaceId,
        name: null,
      };
    case "class.daily_usd": {
      const c = await tx.workflowClass.findFirst({
        where: { id: change.classId, workspaceId },
        select: { id: true, name: true, dailyUsdLimitMicros: true },
      });
      if (!c) throw new AppError("not_found", "No such workflow class in this workspace.");
      await tx.workflowClass.update({ where: { id: c.id }, data: { dailyUsdLimitMicros: change.limit } });
      return { from: c.dailyUsdLimitMicros, scopeId: spendScopeId(change.budget, c.id), ownerId: c.id, name: c.name };
    }
    case "credential.daily_usd": {
      const c = await tx.credential.findFirst({
        where: { id: change.credentialId, workspaceId },
        select: { id: true, prefix: true, dailyUsdLimitMicros: true },
      });
      if (!c) throw new AppError("not_found", "No such key.");
      await tx.credential.update({ where: { id: c.id }, data: { dailyUsdLimitMicros: change.limit } });
      return { from: c.dailyUsdLimitMicros, scopeId: spendScopeId(change.budget, c.id), ownerId: c.id, name: c.prefix };
    }
  }
}
