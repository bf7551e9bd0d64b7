import "server-only";
import type { Prisma } from "@/lib/generated/prisma/client";
import { getDb } from "../db";
import { actionSelect, type ActionRow } from "./action-view";

export type ApprovalQueueStatus = "pending" | "decided";

/** How many actions one listing returns at most (the CLI's; the dashboard pages). */
export const APPROVAL_QUEUE_LIMIT = { pending: 500, decided: 100 } as const;

/**
 * A workspace's approval queue (the CLI's `approval list`): `pending` — actions waiting for people,
 * oldest first (the first to expire); `decided` — actions that went through the queue, newest
 * decision first: any with an approval or rejection recorded, or that left `pending_approval`
 * otherwise (expired, cancelled while pending). An action allowed at once is decided when it is
 * created (`decidedAt = createdAt`), so a later `decidedAt` means it waited for people.
 */
export function listApprovalQueue(
  workspaceId: string,
  status: ApprovalQueueStatus,
  take: number = APPROVAL_QUEUE_LIMIT[status],
): Promise<ActionRow[]> {
  const db = getDb();
  if (status === "pending")
    return db.action.findMany({
      where: { workspaceId, status: "pending_approval" },
      orderBy: [{ createdAt: "asc" }, { id: "asc" }],
      take,
      select: actionSelect,
    });
  const where: Prisma.ActionWhereInput = {
    workspaceId,
    status: { not: "pending_approval" },
    OR: [
      { approvals: { some: {} } },
      { status: { in: ["rejected", "expired"] } },
      { decidedAt: { gt: db.action.fields.createdAt } },
    ],
  };
  return db.action.findMany({
    where,
    orderBy: [{ decidedAt: { sort: "desc", nulls: "last" } }, { createdAt: "desc" }, { id: "desc" }],
    take,
    select: actionSelect,
  });
}
