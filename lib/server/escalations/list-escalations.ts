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
    ...(filters.workflowClassId ? { task: { workflowClassId: filters.workflowClassId } } : {}),
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
      assignee: { select: { id: true, email: true } },
      task: {
        select: {
          status: true,
          attempt: true,
          workflowClass: { select: { name: true } },
          namespace: { select: { name: true } },
        },
      },
    },
  });
}

export function countOpenEscalations(workspaceId: string) {
  return getDb().escalation.count({ where: { workspaceId, status: "open" } });
}
