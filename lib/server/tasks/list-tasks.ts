import "server-only";
import type { TaskStatus } from "@/lib/core/tasks";
import type { Prisma } from "@/lib/generated/prisma/client";
import type { Tx } from "../db";
import { taskSelect, type TaskRow } from "./task-view";

export type TaskCursor = { createdAt: string; id: string };

export function encodeTaskCursor(task: { createdAt: Date; id: string }): string {
  return Buffer.from(JSON.stringify({ createdAt: task.createdAt.toISOString(), id: task.id })).toString("base64url");
}

export function decodeTaskCursor(cursor: string): TaskCursor | null {
  try {
    const parsed = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8")) as TaskCursor;
    return typeof parsed.id === "string" && !Number.isNaN(Date.parse(parsed.createdAt)) ? parsed : null;
  } catch {
    return null;
  }
}

/** Newest first, keyset-paginated on (created_at, id). */
export async function listTasks(
  tx: Tx,
  input: {
    workspaceId: string;
    workflowClassId?: string;
    namespaceId?: string;
    /** Only tasks in these namespaces (an agent's readable ones): filtered in SQL, so pages stay full and keyset-correct. */
    namespaceIds?: readonly string[];
    correlationId?: string;
    status?: TaskStatus;
    due?: boolean;
    createdFrom?: Date;
    createdTo?: Date;
    limit: number;
    cursor: TaskCursor | null;
    now: Date;
  },
): Promise<{ items: TaskRow[]; nextCursor: string | null }> {
  const where: Prisma.TaskWhereInput = {
    workspaceId: input.workspaceId,
    ...(input.workflowClassId ? { workflowClassId: input.workflowClassId } : {}),
    ...(input.status ? { status: input.status } : {}),
    ...(input.namespaceId ? { namespaceId: input.namespaceId } : {}),
    ...(input.correlationId ? { correlationId: input.correlationId } : {}),
    AND: [
      ...(input.namespaceIds ? [{ namespaceId: { in: [...input.namespaceIds] } }] : []),
      ...(input.createdFrom || input.createdTo
        ? [{ createdAt: { gte: input.createdFrom ?? new Date(0), lte: input.createdTo ?? new Date(8.64e15) } }]
        : []),
    ],
    ...(input.due ? { status: "retry_scheduled", retryAt: { lte: input.now } } : {}),
    ...(input.cursor
      ? {
          OR: [
            { createdAt: { lt: new Date(input.cursor.createdAt) } },
            { createdAt: new Date(input.cursor.createdAt), id: { lt: input.cursor.id } },
          ],
        }
      : {}),
  };
  const rows = await tx.task.findMany({
    where,
    select: taskSelect,
    orderBy: [{ createdAt: "desc" }, { id: "desc" }],
    take: input.limit + 1,
  });
  const page = rows.slice(0, input.limit);
  return { items: page, nextCursor: rows.length > input.limit ? encodeTaskCursor(page[page.length - 1]!) : null };
}
