import "server-only";
import { AppError } from "@/lib/core/errors";
import type { Actor } from "../audit";
import { getDb } from "../db";
import { deleteRule, freezeActionPattern, freezeRuleName, type RuleJson } from "./rules";

/**
 * The on-call levers of the approvals queue and the action page: freeze an action's exact name or
 * its prefix (a deny rule first in the list, rules.ts `freezeActionPattern`), and lift such a
 * freeze again — only a rule the freeze made (its name is `freezeRuleName(pattern)`, it denies
 * exactly that pattern), never any other rule.
 */

/** What can be frozen from an action: its name, and (for a dotted name) everything beside it. */
export function freezePatterns(actionName: string): { exact: string; prefix: string | null } {
  const dot = actionName.lastIndexOf(".");
  return { exact: actionName, prefix: dot > 0 ? `${actionName.slice(0, dot)}.*` : null };
}

/** Which of `patterns` are frozen now (a freeze rule exists for them). */
export async function frozenPatterns(workspaceId: string, patterns: string[]): Promise<Set<string>> {
  if (!patterns.length) return new Set();
  const rules = await getDb().actionRule.findMany({
    where: { workspaceId, name: { in: patterns.map(freezeRuleName) }, effect: "deny", mode: "enforce" },
    select: { name: true, action: true },
  });
  return new Set(rules.filter((r) => r.name === freezeRuleName(r.action)).map((r) => r.action));
}

/** Freezes the exact name or the prefix of one of the workspace's actions. */
export async function freezeFromAction(input: {
  workspaceId: string;
  actionId: string;
  scope: "exact" | "prefix";
  actor: Actor;
  reason: string;
}): Promise<{ pattern: string; rule: RuleJson }> {
  const action = await getDb().action.findFirst({
    where: { id: input.actionId, workspaceId: input.workspaceId },
    select: { action: true },
  });
  if (!action) throw new AppError("not_found", "No such action in this workspace.");
  const patterns = freezePatterns(action.action);
  const pattern = input.scope === "prefix" ? patterns.prefix : patterns.exact;
  if (!pattern) throw new AppError("validation_failed", `"${action.action}" has no prefix to freeze: freeze the name.`);
  const rule = await freezeActionPattern({
    workspaceId: input.workspaceId,
    actor: input.actor,
    reason: input.reason,
    pattern,
  }).catch((error: unknown) => {
    if (error instanceof AppError && error.code === "already_exists")
      throw new AppError("already_exists", `${pattern} is already frozen.`);
    throw error;
  });
  return { pattern, rule };
}

/** Deletes the freeze rule of `pattern` — and only a freeze rule. */
export async function liftFreeze(input: {
  workspaceId: string;
  pattern: string;
  actor: Actor;
  reason: string;
}): Promise<RuleJson> {
  const name = freezeRuleName(input.pattern);
  const rule = await getDb().actionRule.findFirst({
    where: { workspaceId: input.workspaceId, name },
    select: { id: true, action: true, effect: true },
  });
  if (!rule || rule.action !== input.pattern || rule.effect !== "deny")
    throw new AppError("not_found", `${input.pattern} is not frozen (no freeze rule "${name}").`);
  return deleteRule({ workspaceId: input.workspaceId, actor: input.actor, reason: input.reason, ruleId: rule.id });
}

/** What the levers show for an action: its patterns, each frozen or not, and its identity. */
export type LeverState = {
  actionId: string;
  actionName: string;
  patterns: { pattern: string; scope: "exact" | "prefix"; frozen: boolean }[];
  identity: { id: string; name: string; status: string };
};

/** The levers' state of each action (one query for all of them). */
export async function leverStates(
  workspaceId: string,
  actions: { id: string; action: string; identity: LeverState["identity"] }[],
): Promise<Map<string, LeverState>> {
  const patterns = actions.map((a) => freezePatterns(a.action));
  const frozen = await frozenPatterns(workspaceId, [
    ...new Set(patterns.flatMap((p) => [p.exact, ...(p.prefix ? [p.prefix] : [])])),
  ]);
  return new Map(
    actions.map((a, i) => {
      const p = patterns[i]!;
      return [
        a.id,
        {
          actionId: a.id,
          actionName: a.action,
          patterns: [
            { pattern: p.exact, scope: "exact" as const, frozen: frozen.has(p.exact) },
            ...(p.prefix ? [{ pattern: p.prefix, scope: "prefix" as const, frozen: frozen.has(p.prefix) }] : []),
          ],
          identity: a.identity,
        },
      ];
    }),
  );
}
