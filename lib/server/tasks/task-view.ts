import "server-only";
import type { Prisma } from "@/lib/generated/prisma/client";
import type { Tx } from "../db";

export const taskSelect = {
  id: true,
  workspaceId: true,
  workflowClassId: true,
  status: true,
  attempt: true,
  maxAttempts: true,
  correlationId: true,
  input: true,
  output: true,
  lastError: true,
  retryAt: true,
  heartbeatAt: true,
  lastSeq: true,
  checkpointStep: true,
  createdAt: true,
  updatedAt: true,
  namespaceId: true,
  namespace: { select: { name: true } },
  workflowClass: { select: { name: true } },
} satisfies Prisma.TaskSelect;

export type TaskRow = Prisma.TaskGetPayload<{ select: typeof taskSelect }>;

export type EventRow = {
  seq: number;
  type: string;
  fromStatus: string | null;
  toStatus: string;
  step: string | null;
  attempt: number;
  actorType: string;
  actorId: string | null;
  actorName: string | null;
  data: unknown;
  createdAt: Date;
};

export const checkpointKey = (taskId: string) => `checkpoint/${taskId}`;

/** The latest checkpoint: the live KV entry `checkpoint/<taskId>` in the task's namespace. */
export async function loadCheckpoint(tx: Tx, task: Pick<TaskRow, "id" | "namespaceId" | "checkpointStep">, now: Date) {
  const entry = await tx.kvEntry.findFirst({
    where: {
      namespaceId: task.namespaceId,
      key: checkpointKey(task.id),
      OR: [{ expiresAt: null }, { expiresAt: { gt: now } }],
    },
    select: { value: true, version: true },
  });
  return entry
    ? { step: task.checkpointStep, key: checkpointKey(task.id), value: entry.value, version: entry.version }
    : null;
}

/** The task as API.md shows it. */
export function toApiTask(task: TaskRow, extra: { checkpoint?: unknown; events?: EventRow[] } = {}) {
  return {
    id: task.id,
    workflowClass: task.workflowClass.name,
    namespace: task.namespace.name,
    status: task.status,
    attempt: task.attempt,
    correlationId: task.correlationId,
    retryAt: task.retryAt?.toISOString() ?? null,
    input: task.input ?? null,
    output: task.output ?? null,
    lastError: task.lastError ?? null,
    checkpoint: extra.checkpoint ?? null,
    createdAt: task.createdAt.toISOString(),
    updatedAt: task.updatedAt.toISOString(),
    ...(extra.events
      ? {
          events: extra.events.map((e) => ({
            seq: e.seq,
            type: e.type,
            from: e.fromStatus,
            to: e.toStatus,
            step: e.step,
            attempt: e.attempt,
            actor: { type: e.actorType, id: e.actorId, name: e.actorName },
            at: e.createdAt.toISOString(),
            data: e.data ?? {},
          })),
        }
      : {}),
  };
}
