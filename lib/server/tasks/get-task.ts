import "server-only";
import { AppError } from "@/lib/core/errors";
import type { Tx } from "../db";
import { loadCheckpoint, taskSelect } from "./task-view";

/** A task with its events and latest checkpoint; other workspaces' (and, for agents, other classes') tasks are 404. */
export async function getTask(
  tx: Tx,
  input: { taskId: string; workspaceId: string; workflowClassId?: string; now: Date },
) {
  const task = await tx.task.findFirst({
    where: {
      id: input.taskId,
      workspaceId: input.workspaceId,
      ...(input.workflowClassId ? { workflowClassId: input.workflowClassId } : {}),
    },
    select: {
      ...taskSelect,
      events: {
        orderBy: { seq: "asc" },
        select: {
          seq: true,
          type: true,
          fromStatus: true,
          toStatus: true,
          step: true,
          attempt: true,
          actorType: true,
          actorId: true,
          actorName: true,
          data: true,
          createdAt: true,
        },
      },
    },
  });
  if (!task) throw new AppError("not_found", "no such task");
  const checkpoint = await loadCheckpoint(tx, task, input.now);
  return { task, events: task.events, checkpoint };
}
