"use server";

import { revalidatePath } from "next/cache";
import { isAppError } from "@/lib/core/errors";
import type { z } from "zod";
import { workspaceAction } from "@/lib/server/action";
import { acknowledgeEscalation } from "@/lib/server/escalations/acknowledge-escalation";
import { addEscalationNote } from "@/lib/server/escalations/add-escalation-note";
import { cancelEscalation } from "@/lib/server/escalations/cancel-escalation";
import type { EscalationChange } from "@/lib/server/escalations/change-escalation";
import { reassignEscalation } from "@/lib/server/escalations/reassign-escalation";
import { redriveEscalation } from "@/lib/server/escalations/redrive-escalation";
import { resolveEscalation } from "@/lib/server/escalations/resolve-escalation";
import { bulkSchema, escalationActionSchema, reassignSchema, resolveSchema } from "@/lib/validations/escalations";

function refresh(slug: string) {
  revalidatePath(`/w/${slug}`, "layout");
}

/** One escalation action: validate, check `escalations.work` on the server, run, refresh, say what happened. */
function escalationAction<I extends { workspace: string; escalationId: string; note: string }>(
  name: string,
  schema: z.ZodType<I>,
  run: (change: EscalationChange, input: I) => Promise<unknown>,
  message: string | ((result: unknown) => string),
) {
  return workspaceAction({ name, schema, permission: "escalations.work" }, async (input, ctx) => {
    const result = await run(
      { workspaceId: ctx.workspace.id, escalationId: input.escalationId, actor: ctx.actor, note: input.note },
      input,
    );
    refresh(ctx.workspace.slug);
    return { message: typeof message === "string" ? message : message(result) };
  });
}

/** An overrun escalation (an action's cost) has no task: say so instead of what happened to one. */
const aboutTask = (result: unknown) => (result as { taskId?: string | null } | null)?.taskId != null;

export const acknowledgeAction = escalationAction(
  "escalation.acknowledge",
  escalationActionSchema,
  acknowledgeEscalation,
  "Acknowledged and assigned to you.",
);
export const reassignAction = escalationAction(
  "escalation.reassign",
  reassignSchema,
  (base, input) => reassignEscalation({ ...base, assigneeUserId: input.assigneeUserId }),
  "Reassigned.",
);
export const addNoteAction = escalationAction(
  "escalation.note",
  escalationActionSchema,
  addEscalationNote,
  "Note added.",
);
export const redriveAction = escalationAction(
  "escalation.redrive",
  escalationActionSchema,
  redriveEscalation,
  "Redriven: the task is due now and will resume from its checkpoint.",
);
export const resolveAction = escalationAction(
  "escalation.resolve",
  resolveSchema,
  (base, input) => resolveEscalation({ ...base, output: input.output }),
  (result) =>
    aboutTask(result) ? "Resolved: the task is committed with your output." : "Resolved: the overrun is settled.",
);
export const cancelAction = escalationAction("escalation.cancel", escalationActionSchema, cancelEscalation, (result) =>
  aboutTask(result) ? "Cancelled: the task will not run again." : "Closed without action.",
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
