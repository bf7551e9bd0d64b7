import "server-only";
import { AppError } from "@/lib/core/errors";
import { can } from "@/lib/core/roles";
import type { EscalationStatus } from "@/lib/generated/prisma/client";
import { writeAudit, type Actor } from "../audit";
import { getDb, type Tx } from "../db";
import { recordTaskEvent } from "../tasks/record-task-event";

/**
 * What on-call can do with an escalation. Each action takes a note, locks the
 * escalation row, checks its status, and writes the change, the note, any task
 * event (with the person as actor, so agents and the timeline see it) and the
 * audit event in one transaction.
 */
type Base = { workspaceId: string; escalationId: string; actor: Actor; note: string; now?: Date };

type Locked = { id: string; status: EscalationStatus; taskId: string; assigneeUserId: string | null };

async function withEscalation<R>(
  input: Base,
  action: string,
  allowed: readonly EscalationStatus[],
  work: (tx: Tx, escalation: Locked, now: Date) => Promise<R>,
): Promise<R> {
  const now = input.now ?? new Date();
  return getDb().$transaction(async (tx) => {
    const rows = await tx.$queryRaw<Locked[]>`
      SELECT id, status, task_id AS "taskId", assignee_user_id AS "assigneeUserId" FROM escalation
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
      details: { taskId: escalation.taskId, from: escalation.status },
    });
    return result;
  });
}

const ACTIVE = ["open", "acknowledged"] as const;

export function acknowledgeEscalation(input: Base) {
  return withEscalation(input, "acknowledged", ["open"], (tx, e, now) =>
    tx.escalation.update({
      where: { id: e.id },
      data: {
        status: "acknowledged",
        assigneeUserId: input.actor.type === "user" ? input.actor.id : e.assigneeUserId,
        updatedAt: now,
      },
    }),
  );
}

export function reassignEscalation(input: Base & { assigneeUserId: string }) {
  return withEscalation(input, "reassigned", ACTIVE, async (tx, e, now) => {
    const member = await tx.membership.findUnique({
      where: { workspaceId_userId: { workspaceId: input.workspaceId, userId: input.assigneeUserId } },
      select: { role: true },
    });
    if (!member || !can(member.role, "escalations.work")) {
      throw new AppError("validation_failed", "Assign to an operator or admin of this workspace.", {
        field: "assigneeUserId",
      });
    }
    return tx.escalation.update({
      where: { id: e.id },
      data: { assigneeUserId: input.assigneeUserId, status: "acknowledged", updatedAt: now },
    });
  });
}

export function addEscalationNote(input: Base) {
  return withEscalation(input, "note", ["open", "acknowledged", "resolved"], (tx, e, now) =>
    tx.escalation.update({ where: { id: e.id }, data: { updatedAt: now } }),
  );
}

async function settle(tx: Tx, e: Locked, input: Base, resolution: string, now: Date) {
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
}

/** Task → retry_scheduled, due now, with a fresh allowance of attempts; it resumes from its checkpoint. */
export function redriveEscalation(input: Base) {
  return withEscalation(input, "redriven", ACTIVE, async (tx, e, now) => {
    await recordTaskEvent(tx, {
      taskId: e.taskId,
      workspaceId: input.workspaceId,
      event: { type: "redrive", reason: input.note },
      actor: input.actor,
      now,
    });
    return settle(tx, e, input, "redriven", now);
  });
}

/** Task → committed with the operator's output. */
export function resolveEscalation(input: Base & { output: unknown }) {
  return withEscalation(input, "resolved", ACTIVE, async (tx, e, now) => {
    await recordTaskEvent(tx, {
      taskId: e.taskId,
      workspaceId: input.workspaceId,
      event: { type: "resolve", output: input.output, reason: input.note },
      actor: input.actor,
      now,
    });
    return settle(tx, e, input, "resolved with output", now);
  });
}

/** Task → cancelled. */
export function cancelEscalation(input: Base) {
  return withEscalation(input, "cancelled", ACTIVE, async (tx, e, now) => {
    await recordTaskEvent(tx, {
      taskId: e.taskId,
      workspaceId: input.workspaceId,
      event: { type: "cancel", reason: input.note },
      actor: input.actor,
      now,
    });
    return settle(tx, e, input, "cancelled", now);
  });
}
