"use server";

import { revalidatePath } from "next/cache";
import { workspaceAction } from "@/lib/server/action";
import { replayRules, type ReplayResult } from "@/lib/server/actions/replay";
import { createRule, deleteRule, loadRules, moveRule, ruleJson, updateRule } from "@/lib/server/actions/rules";
import { writeAudit } from "@/lib/server/audit";
import { getDb } from "@/lib/server/db";
import { updateWorkspace } from "@/lib/server/workspaces/update-workspace";
import { AppError, isAppError } from "@/lib/core/errors";
import { ruleInputSchema } from "@/lib/validations/actions";
import {
  createRuleFormSchema,
  defaultEffectFormSchema,
  deleteRuleFormSchema,
  draftFromJson,
  moveRuleFormSchema,
  replayFormSchema,
  ruleModeFormSchema,
  updateRuleFormSchema,
} from "@/lib/validations/rule-draft";

const PERMISSION = "workspace.configure" as const;
const refresh = (slug: string) => revalidatePath(`/w/${slug}/rules`);

/** The services name the rule's id; a person needs only to know it is not (or no longer) there. */
function noSuchRule(error: unknown): never {
  if (isAppError(error) && error.code === "not_found")
    throw new AppError("not_found", "No such rule in this workspace: it may have just been deleted. Reload the page.");
  throw error;
}

export const createRuleAction = workspaceAction(
  { name: "action_rule.create", schema: createRuleFormSchema, permission: PERMISSION },
  async ({ rule, position, reason }, ctx) => {
    const created = await createRule({ workspaceId: ctx.workspace.id, actor: ctx.actor, rule, position, reason });
    refresh(ctx.workspace.slug);
    return {
      message: `Rule "${created.name}" added at position ${created.position}. It applies from the next request.`,
    };
  },
);

export const updateRuleAction = workspaceAction(
  { name: "action_rule.update", schema: updateRuleFormSchema, permission: PERMISSION },
  async ({ ruleId, rule, reason }, ctx) => {
    const updated = await updateRule({ workspaceId: ctx.workspace.id, actor: ctx.actor, ruleId, rule, reason }).catch(
      noSuchRule,
    );
    refresh(ctx.workspace.slug);
    return {
      message: `Rule "${updated.name}" saved. It applies from the next request; actions already decided keep the old rule.`,
    };
  },
);

export const deleteRuleAction = workspaceAction(
  { name: "action_rule.delete", schema: deleteRuleFormSchema, permission: PERMISSION },
  async ({ ruleId, reason }, ctx) => {
    const deleted = await deleteRule({ workspaceId: ctx.workspace.id, actor: ctx.actor, ruleId, reason }).catch(
      noSuchRule,
    );
    refresh(ctx.workspace.slug);
    return { message: `Rule "${deleted.name}" deleted.` };
  },
);

export const moveRuleAction = workspaceAction(
  { name: "action_rule.move", schema: moveRuleFormSchema, permission: PERMISSION },
  async ({ ruleId, position, reason }, ctx) => {
    const rules = await moveRule({ workspaceId: ctx.workspace.id, actor: ctx.actor, ruleId, position, reason }).catch(
      noSuchRule,
    );
    refresh(ctx.workspace.slug);
    const moved = rules.find((r) => r.id === ruleId);
    return { message: `Rule "${moved?.name}" is now at position ${moved?.position}.` };
  },
);

/** Shadow ⇄ enforce: the rule's other fields as they are now, through the same updateRule. */
export const setRuleModeAction = workspaceAction(
  { name: "action_rule.set_mode", schema: ruleModeFormSchema, permission: PERMISSION },
  async ({ ruleId, mode, reason }, ctx) => {
    const { rules } = await loadRules(getDb(), ctx.workspace.id);
    const current = rules.find((r) => r.id === ruleId);
    if (!current) noSuchRule(new AppError("not_found", "no such rule"));
    const rule = ruleInputSchema.parse({ ...draftFromJson(ruleJson(current)).rule, mode });
    const updated = await updateRule({ workspaceId: ctx.workspace.id, actor: ctx.actor, ruleId, rule, reason }).catch(
      noSuchRule,
    );
    refresh(ctx.workspace.slug);
    return {
      message:
        updated.mode === "shadow"
          ? `Rule "${updated.name}" is in shadow mode: its verdicts are recorded, never applied.`
          : `Rule "${updated.name}" is enforced from the next request.`,
    };
  },
);

export const setDefaultEffectAction = workspaceAction(
  { name: "workspace.set_default_action_effect", schema: defaultEffectFormSchema, permission: PERMISSION },
  async ({ defaultActionEffect, reason }, ctx) => {
    await updateWorkspace({ slug: ctx.workspace.slug, actor: ctx.actor, settings: { defaultActionEffect }, reason });
    refresh(ctx.workspace.slug);
    return { message: `Actions no rule decides are now: ${defaultActionEffect.replace("_", " ")}.` };
  },
);

/**
 * "Preview impact": the draft rule set replayed over the last 7 days' requests. It changes
 * nothing, but it reads every agent's requests, so it is an admin's and its use is recorded.
 */
export const previewRulesAction = workspaceAction<typeof replayFormSchema, ReplayResult>(
  { name: "action_rule.replay", schema: replayFormSchema, permission: PERMISSION },
  async ({ draft, defaultEffect }, ctx) => {
    const result = await replayRules({ workspaceId: ctx.workspace.id, draft, defaultEffect });
    await writeAudit(getDb(), {
      workspaceId: ctx.workspace.id,
      actor: ctx.actor,
      action: "action_rule.replayed",
      details: {
        rules: draft.map((r) => r.name),
        defaultEffect,
        total: result.total,
        changed: result.changed,
        capped: result.capped,
      },
    });
    return {
      message: `${result.changed} of ${result.total} decisions of the last 7 days would change.`,
      data: result,
    };
  },
);
