import "server-only";
import { newId } from "@/lib/core/ids";
import type { Prisma } from "@/lib/generated/prisma/client";
import { writeAudit, type Actor } from "../audit";
import type { Tx } from "../db";
import { resolveNamespace } from "../kv/resolve-namespace";
import { taskSelect, type TaskRow } from "./task-view";
import { prismaSql } from "../db";

/** A new task of the caller's workflow class, `accepted`, with its first event (seq 1). */
export async function createTask(
  tx: Tx,
  input: {
    workspaceId: string;
    workflowClass: { id: string; maxAttempts: number };
    namespace: string;
    taskInput: unknown;
    correlationId: string;
    actor: Actor;
    reason: string | null;
    requestId: string | null;
    now: Date;
  },
): Promise<TaskRow> {
  const ns = await resolveNamespace(prismaSql(tx), input.workspaceId, input.namespace);
  const id = newId("task");
  const task = await tx.task.create({
    data: {
      id,
      workspaceId: input.workspaceId,
      workflowClassId: input.workflowClass.id,
      namespaceId: ns.id,
      maxAttempts: input.workflowClass.maxAttempts,
      correlationId: input.correlationId,
      input: input.taskInput === undefined ? undefined : (input.taskInput as Prisma.InputJsonValue),
      lastSeq: 1,
      createdByIdentityId: input.actor.type === "identity" ? input.actor.id : null,
      createdAt: input.now,
      updatedAt: input.now,
      events: {
        create: {
          seq: 1,
          type: "accepted",
          fromStatus: null,
          toStatus: "accepted",
          attempt: 0,
          actorType: input.actor.type,
          actorId: input.actor.id,
          actorName: input.actor.name,
          createdAt: input.now,
        },
      },
    },
    select: taskSelect,
  });
  await writeAudit(tx, {
    workspaceId: input.workspaceId,
    actor: input.actor,
    action: "task.created",
    namespace: ns.name,
    target: id,
    reason: input.reason,
    correlationId: input.correlationId,
    requestId: input.requestId,
    details: { status: "accepted" },
  });
  return task;
}
