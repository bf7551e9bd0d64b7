"use server";

import { revalidatePath } from "next/cache";
import { workspaceAction } from "@/lib/server/action";
import { setWriteCeiling } from "@/lib/server/credentials/set-write-ceiling";
import { updateWorkspace } from "@/lib/server/workspaces/update-workspace";
import { budgetSettingsSchema, killSwitchSchema, writeCeilingSchema } from "@/lib/validations/budgets";

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
