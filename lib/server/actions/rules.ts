import "server-only";
import type { ActionEffect, ActionRule } from "@/lib/core/action-rules";
import { AppError } from "@/lib/core/errors";
import { newId } from "@/lib/core/ids";
import { formatUsd } from "@/lib/core/money";
import type { RuleInput } from "@/lib/validations/actions";
import { writeAudit, type Actor } from "../audit";
import { getDb, type Tx } from "../db";
import { rememberRules } from "./rules-cache";

/**
 * A workspace's action rules (API.md "Rules"): stored in order, positions 1..n without gaps. Every
 * change takes the workspace row's lock first, so two admins reordering at once cannot leave two
 * rules at one position, and writes its audit event in the same transaction.
 */
export type StoredRule = ActionRule & { id: string; position: number };

const RULE_SELECT = {
  id: true,
  position: true,
  name: true,
  action: true,
  workflowClass: true,
  minEstimateMicros: true,
  maxEstimateMicros: true,
  effect: true,
  mode: true,
  message: true,
  approvalTimeoutSeconds: true,
  completionTimeoutSeconds: true,
  requiredApprovals: true,
  requireEstimate: true,
  rateLimitCount: true,
  rateLimitMicros: true,
} as const;

type RuleRow = {
  id: string;
  position: number;
  name: string;
  action: string;
  workflowClass: string | null;
  minEstimateMicros: bigint | null;
  maxEstimateMicros: bigint | null;
  effect: ActionEffect;
  mode: "enforce" | "shadow";
  message: string | null;
  approvalTimeoutSeconds: number;
  completionTimeoutSeconds: number;
  requiredApprovals: number;
  requireEstimate: boolean;
  rateLimitCount: number | null;
  rateLimitMicros: bigint | null;
};

function toStoredRule(row: RuleRow): StoredRule {
  return {
    id: row.id,
    position: row.position,
    name: row.name,
    action: row.action,
    workflowClass: row.workflowClass,
    minEstimateUsd: row.minEstimateMicros,
    maxEstimateUsd: row.maxEstimateMicros,
    effect: row.effect,
    mode: row.mode,
    message: row.message,
    approvalTimeoutSeconds: row.approvalTimeoutSeconds,
    completionTimeoutSeconds: row.completionTimeoutSeconds,
    requiredApprovals: row.requiredApprovals === 2 ? 2 : 1,
    requireEstimate: row.requireEstimate,
    rateLimit:
      row.rateLimitCount !== null || row.rateLimitMicros !== null
        ? { actions: row.rateLimitCount, usd: row.rateLimitMicros }
        : null,
  };
}

/**
 * The workspace's rules in order, what decides when none does, and their version. `remember`: a
 * read that changes no rule may fill this process's cache (rules-cache.ts) for the fast path.
 */
export async function loadRules(
  db: Tx | ReturnType<typeof getDb>,
  workspaceId: string,
  options: { remember?: boolean } = {},
): Promise<{ rules: StoredRule[]; defaultEffect: ActionEffect; version: number }> {
  // The workspace row first: the rules read after it are at least as new as its version.
  const workspace = await db.workspace.findUniqueOrThrow({
    where: { id: workspaceId },
    select: { defaultActionEffect: true, actionRulesVersion: true },
  });
  const rows = await db.actionRule.findMany({
    where: { workspaceId },
    orderBy: { position: "asc" },
    select: RULE_SELECT,
  });
  const loaded = {
    rules: rows.map(toStoredRule),
    defaultEffect: workspace.defaultActionEffect,
    version: workspace.actionRulesVersion,
  };
  if (options.remember) rememberRules(workspaceId, loaded);
  return loaded;
}

/**
 * A rule as JSON (the CLI, the dashboard, the copy an action keeps, the audit event): amounts in
 * USD as API.md writes them, timeouts in seconds. The inverse of `ruleInputSchema`'s fields.
 */
export function ruleJson(rule: StoredRule) {
  const usd = (v: bigint | number | null | undefined) => (v === null || v === undefined ? null : formatUsd(BigInt(v)));
  return {
    id: rule.id,
    position: rule.position,
    name: rule.name,
    action: rule.action,
    workflowClass: rule.workflowClass ?? null,
    minEstimateUsd: usd(rule.minEstimateUsd),
    maxEstimateUsd: usd(rule.maxEstimateUsd),
    effect: rule.effect,
    mode: rule.mode,
    message: rule.message ?? null,
    approvalTimeoutSeconds: rule.approvalTimeoutSeconds!,
    completionTimeoutSeconds: rule.completionTimeoutSeconds!,
    requiredApprovals: rule.requiredApprovals ?? 1,
    requireEstimate: Boolean(rule.requireEstimate),
    rateLimit: rule.rateLimit
      ? { actions: rule.rateLimit.actions ?? null, usd: usd(rule.rateLimit.usd ?? null) }
      : null,
  };
}
export type RuleJson = ReturnType<typeof ruleJson>;

function rowData(input: RuleInput) {
  return {
    name: input.name,
    action: input.action,
    workflowClass: input.workflowClass,
    minEstimateMicros: input.minEstimateUsd,
    maxEstimateMicros: input.maxEstimateUsd,
    effect: input.effect,
    mode: input.mode,
    message: input.message,
    approvalTimeoutSeconds: input.approvalTimeoutSeconds,
    completionTimeoutSeconds: input.completionTimeoutSeconds,
    requiredApprovals: input.requiredApprovals,
    requireEstimate: input.requireEstimate,
    rateLimitCount: input.rateLimitCount,
    rateLimitMicros: input.rateLimitUsd,
  };
}

type Change = { workspaceId: string; actor: Actor; reason?: string | null; now?: Date };

/** Runs `work` with the workspace's rules locked (the workspace row), in one transaction. */
function withRulesLocked<R>(workspaceId: string, work: (tx: Tx) => Promise<R>): Promise<R> {
  return getDb().$transaction(async (tx) => {
    const locked = await tx.$queryRaw<{ id: string }[]>`SELECT id FROM workspace WHERE id = ${workspaceId} FOR UPDATE`;
    if (!locked[0]) throw new AppError("not_found", "No such workspace.");
    return work(tx);
  });
}

async function checkClass(tx: Tx, workspaceId: string, workflowClass: string | null): Promise<void> {
  if (workflowClass === null) return;
  const found = await tx.workflowClass.findFirst({ where: { workspaceId, name: workflowClass }, select: { id: true } });
  if (!found)
    throw new AppError("validation_failed", `No workflow class "${workflowClass}" in this workspace.`, {
      issues: [{ path: ["workflowClass"], message: "unknown workflow class" }],
    });
}

async function findRule(tx: Tx, workspaceId: string, ref: { id?: string; name?: string }): Promise<StoredRule> {
  const row = await tx.actionRule.findFirst({
    where: { workspaceId, ...(ref.id ? { id: ref.id } : { name: ref.name }) },
    select: RULE_SELECT,
  });
  if (!row) throw new AppError("not_found", `No rule ${ref.id ?? `"${ref.name}"`} in this workspace.`);
  return toStoredRule(row);
}

function nameTaken(error: unknown): boolean {
  return (error as { code?: string }).code === "P2002";
}

/** Adds a rule before the current `position`th (absent or past the end: last). */
export async function createRule(input: Change & { rule: RuleInput; position?: number | null }): Promise<RuleJson> {
  const now = input.now ?? new Date();
  return withRulesLocked(input.workspaceId, async (tx) => {
    await checkClass(tx, input.workspaceId, input.rule.workflowClass);
    const count = await tx.actionRule.count({ where: { workspaceId: input.workspaceId } });
    const position = input.position && input.position >= 1 && input.position <= count ? input.position : count + 1;
    await tx.actionRule.updateMany({
      where: { workspaceId: input.workspaceId, position: { gte: position } },
      data: { position: { increment: 1 } },
    });
    const row = await tx.actionRule
      .create({
        data: {
          id: newId("rule"),
          workspaceId: input.workspaceId,
          position,
          ...rowData(input.rule),
          createdAt: now,
          updatedAt: now,
        },
        select: RULE_SELECT,
      })
      .catch((error: unknown) => {
        if (nameTaken(error)) throw new AppError("already_exists", `A rule named "${input.rule.name}" already exists.`);
        throw error;
      });
    const rule = ruleJson(toStoredRule(row));
    await writeAudit(tx, {
      workspaceId: input.workspaceId,
      actor: input.actor,
      action: "action_rule.created",
      target: rule.id,
      reason: input.reason ?? null,
      details: { rule },
    });
    return rule;
  });
}

/** Changes a rule's fields (not its position). Actions already decided keep their copy of the old rule. */
export async function updateRule(input: Change & { ruleId: string; rule: RuleInput }): Promise<RuleJson> {
  const now = input.now ?? new Date();
  return withRulesLocked(input.workspaceId, async (tx) => {
    const before = ruleJson(await findRule(tx, input.workspaceId, { id: input.ruleId }));
    await checkClass(tx, input.workspaceId, input.rule.workflowClass);
    const row = await tx.actionRule
      .update({ where: { id: before.id }, data: { ...rowData(input.rule), updatedAt: now }, select: RULE_SELECT })
      .catch((error: unknown) => {
        if (nameTaken(error)) throw new AppError("already_exists", `A rule named "${input.rule.name}" already exists.`);
        throw error;
      });
    const after = ruleJson(toStoredRule(row));
    await writeAudit(tx, {
      workspaceId: input.workspaceId,
      actor: input.actor,
      action: "action_rule.updated",
      target: after.id,
      reason: input.reason ?? null,
      details: { before, after },
    });
    return after;
  });
}

/** Deletes a rule (by id or name); the rules after it move up one. */
export async function deleteRule(input: Change & { ruleId?: string; name?: string }): Promise<RuleJson> {
  return withRulesLocked(input.workspaceId, async (tx) => {
    const rule = ruleJson(await findRule(tx, input.workspaceId, { id: input.ruleId, name: input.name }));
    await tx.actionRule.delete({ where: { id: rule.id } });
    await tx.actionRule.updateMany({
      where: { workspaceId: input.workspaceId, position: { gt: rule.position } },
      data: { position: { decrement: 1 } },
    });
    await writeAudit(tx, {
      workspaceId: input.workspaceId,
      actor: input.actor,
      action: "action_rule.deleted",
      target: rule.id,
      reason: input.reason ?? null,
      details: { rule },
    });
    return rule;
  });
}

/** Moves a rule to `position` (1 = first; clamped to the list), the others closing up around it. */
export async function moveRule(input: Change & { ruleId: string; position: number }): Promise<RuleJson[]> {
  const now = input.now ?? new Date();
  return withRulesLocked(input.workspaceId, async (tx) => {
    const { rules } = await loadRules(tx, input.workspaceId);
    const from = rules.findIndex((r) => r.id === input.ruleId);
    if (from < 0) throw new AppError("not_found", `No rule ${input.ruleId} in this workspace.`);
    const to = Math.min(Math.max(1, Math.trunc(input.position)), rules.length) - 1;
    const order = rules.map((r) => r.id);
    const [moved] = order.splice(from, 1);
    order.splice(to, 0, moved!);
    for (const [index, id] of order.entries()) {
      if (rules.find((r) => r.id === id)!.position !== index + 1)
        await tx.actionRule.update({ where: { id }, data: { position: index + 1, updatedAt: now } });
    }
    await writeAudit(tx, {
      workspaceId: input.workspaceId,
      actor: input.actor,
      action: "action_rule.moved",
      target: input.ruleId,
      reason: input.reason ?? null,
      details: { name: rules[from]!.name, from: from + 1, to: to + 1 },
    });
    return (await loadRules(tx, input.workspaceId)).rules.map(ruleJson);
  });
}

/** The name a freeze rule gets: one per pattern, so freezing twice is refused and lifting finds it. */
export function freezeRuleName(pattern: string): string {
  return `freeze ${pattern}`.slice(0, 80);
}

/**
 * The on-call lever short of the kill switch: a deny rule for this pattern, first in the list,
 * so the pattern is refused from the next request on (and lifted by deleting the rule).
 */
export function freezeActionPattern(input: Change & { pattern: string }): Promise<RuleJson> {
  return createRule({
    ...input,
    position: 1,
    rule: {
      name: freezeRuleName(input.pattern),
      action: input.pattern,
      workflowClass: null,
      minEstimateUsd: null,
      maxEstimateUsd: null,
      effect: "deny",
      mode: "enforce",
      message: `Frozen by on-call: ${input.reason ?? "no reason given"}`.slice(0, 500),
      approvalTimeoutSeconds: 3600,
      completionTimeoutSeconds: 900,
      requiredApprovals: 1,
      requireEstimate: false,
      rateLimitCount: null,
      rateLimitUsd: null,
    },
  });
}
