import "server-only";
import { AppError } from "@/lib/core/errors";
import type { EscalationStatus } from "@/lib/generated/prisma/client";
import { writeAudit, type Actor } from "../audit";
import { getDb, type Tx } from "../db";
import { recordTaskEvent, type TaskEventInput } from "../tasks/record-task-event";

/**
 * What every on-call action on an escalation shares (one file a verb beside
 * this one): each takes a note, locks the escalation row, checks its status,
 * and writes the change, the note, any task event (with the person as actor,
 * so agents and the timeline see it) and the audit event in one transaction.
 */
export type EscalationChange = { workspaceId: string; escalationId: string; actor: Actor; note: string; now?: Date };

/** `taskId` is null for an action's overrun: then `actionId` says which action. */
export type LockedEscalation = {
  id: string;
  status: EscalationStatus;
  taskId: string | null;
  actionId: string | null;
  assigneeUserId: string | null;
};

/** Not yet resolved: what redrive, resolve, cancel and reassign accept. */
export const ACTIVE = ["open", "acknowledged"] as const;

export async function changeEscalation<R>(
  input: EscalationChange,
  action: string,
  allowed: readonly EscalationStatus[],
  work: (tx: Tx, escalation: LockedEscalation, now: Date) => Promise<R>,
): Promise<R> {
  const now = input.now ?? new Date();
  return getDb().$transaction(async (tx) => {
    const rows = await tx.$queryRaw<LockedEscalation[]>`
      SELECT id, status, task_id AS "taskId", action_id AS "actionId", assignee_user_id AS "assigneeUserId" FROM escalation
      WHERE id = ${input.escalationId} AND workspace_id = ${input.workspaceId} FOR UPDATE`;
    const escalation = rows[0];
    if (!escalation) throw new AppError("not_found", "No such escalation in this workspace.");
    if (!allowed.includes(escalation.status)) {
      throw new AppError("conflict", `This escalation is already ${escalation.status}; nothing was changed.`, {
        status: escalation.status,
      });
    }
    const result = await work(tx, escalation, now);
    await tx.escalationNote.create({
      data: {
        escalationId: escalation.id,
        action,
        body: input.note,
        authorType: input.actor.type,
        authorId: input.actor.id,
        authorName: input.actor.name,
        createdAt: now,
      },
    });
    await writeAudit(tx, {
      workspaceId: input.workspaceId,
      actor: input.actor,
      action: `escalation.${action}`,
      target: escalation.id,
      reason: input.note,
      details: { taskId: escalation.taskId, actionId: escalation.actionId, from: escalation.status },
    });
    return result;
  });
}

/**
 * Settles an active escalation by deciding its task: the operator's task event
 * (redrive, resolve, cancel — the core's transition table judges it), then the
 * escalation resolved, assigned to whoever settled it if nobody had it.
 */
export function settleEscalation(input: EscalationChange, action: string, event: TaskEventInput, resolution: string) {
  return changeEscalation(input, action, ACTIVE, async (tx, e, now) => {
    if (e.taskId) {
      await recordTaskEvent(tx, { taskId: e.taskId, workspaceId: input.workspaceId, event, actor: input.actor, now });
    } else if (event.type === "redrive") {
      // An overrun is about money already spent: there is no task to run again.
      throw new AppError("conflict", "This escalation is about an action's cost, not a task: there is nothing to redrive. Resolve it with a note.");
    }
    return tx.escalation.update({
      where: { id: e.id },
      data: {
        status: "resolved",
        resolution,
        resolvedAt: now,
        updatedAt: now,
        assigneeUserId: e.assigneeUserId ?? (input.actor.type === "user" ? input.actor.id : null),
      },
    });
  });
}
