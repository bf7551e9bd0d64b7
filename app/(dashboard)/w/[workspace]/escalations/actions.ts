"use server";

import { revalidatePath } from "next/cache";
import { isAppError } from "@/lib/core/errors";
import { workspaceAction } from "@/lib/server/action";
import {
  acknowledgeEscalation,
  addEscalationNote,
  cancelEscalation,
  reassignEscalation,
  redriveEscalation,
  resolveEscalation,
} from "@/lib/server/escalations/escalation-actions";
import { bulkSchema, escalationActionSchema, reassignSchema, resolveSchema } from "@/lib/validations/escalations";

const options = (name: string, schema: typeof escalationActionSchema) => ({
  name,
  schema,
  permission: "escalations.work" as const,
});

function refresh(slug: string) {
  revalidatePath(`/w/${slug}`, "layout");
}

export const acknowledgeAction = workspaceAction(
  options("escalation.acknowledge", escalationActionSchema),
  async (input, ctx) => {
    await acknowledgeEscalation({
      workspaceId: ctx.workspace.id,
      escalationId: input.escalationId,
      actor: ctx.actor,
      note: input.note,
    });
    refresh(ctx.workspace.slug);
    return { message: "Acknowledged and assigned to you." };
  },
);

export const reassignAction = workspaceAction(
  { name: "escalation.reassign", schema: reassignSchema, permission: "escalations.work" },
  async (input, ctx) => {
    await reassignEscalation({
      workspaceId: ctx.workspace.id,
      escalationId: input.escalationId,
      actor: ctx.actor,
      note: input.note,
      assigneeUserId: input.assigneeUserId,
    });
    refresh(ctx.workspace.slug);
    return { message: "Reassigned." };
  },
);

export const addNoteAction = workspaceAction(options("escalation.note", escalationActionSchema), async (input, ctx) => {
  await addEscalationNote({
    workspaceId: ctx.workspace.id,
    escalationId: input.escalationId,
    actor: ctx.actor,
    note: input.note,
  });
  refresh(ctx.workspace.slug);
  return { message: "Note added." };
});

export const redriveAction = workspaceAction(
  options("escalation.redrive", escalationActionSchema),
  async (input, ctx) => {
    await redriveEscalation({
      workspaceId: ctx.workspace.id,
      escalationId: input.escalationId,
      actor: ctx.actor,
      note: input.note,
    });
    refresh(ctx.workspace.slug);
    return { message: "Redriven: the task is due now and will resume from its checkpoint." };
  },
);

export const resolveAction = workspaceAction(
  { name: "escalation.resolve", schema: resolveSchema, permission: "escalations.work" },
  async (input, ctx) => {
    await resolveEscalation({
      workspaceId: ctx.workspace.id,
      escalationId: input.escalationId,
      actor: ctx.actor,
      note: input.note,
      output: input.output,
    });
    refresh(ctx.workspace.slug);
    return { message: "Resolved: the task is committed with your output." };
  },
);

export const cancelAction = workspaceAction(
  options("escalation.cancel", escalationActionSchema),
  async (input, ctx) => {
    await cancelEscalation({
      workspaceId: ctx.workspace.id,
      escalationId: input.escalationId,
      actor: ctx.actor,
      note: input.note,
    });
    refresh(ctx.workspace.slug);
    return { message: "Cancelled: the task will not run again." };
  },
);

/** Bulk redrive / cancel: each escalation in its own transaction, so one refusal does not undo the others. */
export const bulkAction = workspaceAction(
  { name: "escalation.bulk", schema: bulkSchema, permission: "escalations.work" },
  async (input, ctx) => {
    const run = input.action === "redrive" ? redriveEscalation : cancelEscalation;
    const failed: string[] = [];
    for (const escalationId of input.ids) {
      try {
        await run({ workspaceId: ctx.workspace.id, escalationId, actor: ctx.actor, note: input.note });
      } catch (error) {
        if (!isAppError(error)) throw error;
        failed.push(`${escalationId}: ${error.message}`);
      }
    }
    refresh(ctx.workspace.slug);
    const done = input.ids.length - failed.length;
    const verb = input.action === "redrive" ? "Redriven" : "Cancelled";
    return {
      message: failed.length
        ? `${verb} ${done} of ${input.ids.length}. Not changed: ${failed.join("; ")}`
        : `${verb} ${done} escalation(s).`,
    };
  },
);
