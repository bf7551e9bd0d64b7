"use server";

import { revalidatePath } from "next/cache";
import { workspaceAction } from "@/lib/server/action";
import { setWriteCeiling } from "@/lib/server/credentials/set-write-ceiling";
import { setSpendLimits } from "@/lib/server/budgets/spend-limits";
import { workspaceLimitChanges } from "@/lib/server/budgets/spend-overview";
import { updateWorkspace } from "@/lib/server/workspaces/update-workspace";
import {
  budgetSettingsSchema,
  killSwitchSchema,
  scopedSpendLimitSchema,
  workspaceSpendLimitsSchema,
  writeCeilingSchema,
} from "@/lib/validations/budgets";

export const saveBudgetAction = workspaceAction(
  { name: "workspace.update_budget", schema: budgetSettingsSchema, permission: "workspace.configure" },
  async ({ workspace: slug, reason, ...settings }, ctx) => {
    await updateWorkspace({ slug, actor: ctx.actor, settings, reason });
    revalidatePath(`/w/${ctx.workspace.slug}`, "layout");
    return { message: "Budget saved. It applies from the next call." };
  },
);

export const killSwitchAction = workspaceAction(
  { name: "workspace.kill_switch", schema: killSwitchSchema, permission: "workspace.configure" },
  async ({ workspace: slug, on, reason }, ctx) => {
    await updateWorkspace({ slug, actor: ctx.actor, settings: { killSwitch: on }, reason });
    revalidatePath(`/w/${ctx.workspace.slug}`, "layout");
    return {
      message: on ? "Kill switch on: every agent call is refused from now." : "Kill switch off: traffic resumes.",
    };
  },
);

export const writeCeilingAction = workspaceAction(
  { name: "credential.set_write_ceiling", schema: writeCeilingSchema, permission: "workspace.configure" },
  async (input, ctx) => {
    await setWriteCeiling({
      workspaceId: ctx.workspace.id,
      actor: ctx.actor,
      credentialId: input.credentialId,
      ceiling: input.ceiling,
      reason: input.reason,
    });
    revalidatePath(`/w/${ctx.workspace.slug}/budgets`);
    return { message: "Write ceiling saved." };
  },
);

export const workspaceSpendLimitsAction = workspaceAction(
  { name: "budget.set_spend_limits", schema: workspaceSpendLimitsSchema, permission: "workspace.configure" },
  async ({ dailyUsd, monthlyUsd, dailyTokens, reason }, ctx) => {
    const changes = await workspaceLimitChanges(ctx.workspace.id, { dailyUsd, monthlyUsd, dailyTokens });
    if (changes.length === 0) return { message: "Nothing changed: these are the limits in force." };
    await setSpendLimits({ workspaceId: ctx.workspace.id, actor: ctx.actor, changes, reason });
    revalidatePath(`/w/${ctx.workspace.slug}`, "layout");
    return { message: "Spend limits saved. They apply to the rest of today and this month at once." };
  },
);

export const classSpendLimitAction = workspaceAction(
  { name: "budget.set_class_spend_limit", schema: scopedSpendLimitSchema, permission: "workspace.configure" },
  async ({ id, dailyUsd, reason }, ctx) => {
    await setSpendLimits({
      workspaceId: ctx.workspace.id,
      actor: ctx.actor,
      changes: [{ budget: "class.daily_usd", classId: id, limit: dailyUsd }],
      reason,
    });
    revalidatePath(`/w/${ctx.workspace.slug}/budgets`);
    return { message: "Class limit saved." };
  },
);

export const keySpendLimitAction = workspaceAction(
  { name: "budget.set_key_spend_limit", schema: scopedSpendLimitSchema, permission: "workspace.configure" },
  async ({ id, dailyUsd, reason }, ctx) => {
    await setSpendLimits({
      workspaceId: ctx.workspace.id,
      actor: ctx.actor,
      changes: [{ budget: "credential.daily_usd", credentialId: id, limit: dailyUsd }],
      reason,
    });
    revalidatePath(`/w/${ctx.workspace.slug}/budgets`);
    return { message: "Key limit saved." };
  },
);
