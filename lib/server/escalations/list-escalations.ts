import "server-only";
import type { EscalationCause, EscalationStatus, Prisma } from "@/lib/generated/prisma/client";
import { getDb } from "../db";

export type EscalationFilters = {
  status: EscalationStatus;
  workflowClassId?: string;
  cause?: EscalationCause;
  assigneeUserId?: string;
  olderThanMinutes?: number;
};

/** The on-call queue: oldest first. */
export function listEscalations(workspaceId: string, filters: EscalationFilters, now: Date = new Date(), take = 200) {
  const where: Prisma.EscalationWhereInput = {
    workspaceId,
    status: filters.status,
    ...(filters.cause ? { cause: filters.cause } : {}),
    ...(filters.assigneeUserId ? { assigneeUserId: filters.assigneeUserId } : {}),
    ...(filters.workflowClassId
      ? {
          OR: [
            { task: { workflowClassId: filters.workflowClassId } },
            { action: { workflowClassId: filters.workflowClassId } },
          ],
        }
      : {}),
    ...(filters.olderThanMinutes
      ? { createdAt: { lte: new Date(now.getTime() - filters.olderThanMinutes * 60_000) } }
      : {}),
  };
  return getDb().escalation.findMany({
    where,
    orderBy: [{ createdAt: "asc" }, { id: "asc" }],
    take,
    select: {
      id: true,
      cause: true,
      status: true,
      reason: true,
      resolution: true,
      createdAt: true,
      resolvedAt: true,
      overdueNotifiedAt: true,
      taskId: true,
      actionId: true,
      assignee: { select: { id: true, email: true } },
      task: {
        select: {
          status: true,
          attempt: true,
          workflowClass: { select: { name: true } },
          namespace: { select: { name: true } },
        },
      },
      action: { select: { status: true, action: true, workflowClass: { select: { name: true } } } },
    },
  });
}

/** What an escalation is about: its task, or (an overrun) its action. */
export function escalationSubject(e: {
  taskId: string | null;
  actionId: string | null;
  task: { status: string; workflowClass: { name: string } } | null;
  action: { status: string; action: string; workflowClass: { name: string } } | null;
}): { kind: "task" | "action"; id: string; status: string; workflowClass: string } {
  if (e.task && e.taskId) return { kind: "task", id: e.taskId, status: e.task.status, workflowClass: e.task.workflowClass.name };
  if (e.action && e.actionId)
    return { kind: "action", id: e.actionId, status: e.action.status, workflowClass: e.action.workflowClass.name };
  throw new Error("an escalation is about a task or an action");
}

export function countOpenEscalations(workspaceId: string) {
  return getDb().escalation.count({ where: { workspaceId, status: "open" } });
}
