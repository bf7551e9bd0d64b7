import "server-only";
import { AppError } from "@/lib/core/errors";
import { newId } from "@/lib/core/ids";
import { decideEvent, type RetryPolicy, type TaskError, type TaskEventType, type TaskStatus } from "@/lib/core/tasks";
import type { Prisma } from "@/lib/generated/prisma/client";
import { writeAudit, type Actor } from "../audit";
import type { Tx } from "../db";
import { putKvEntry } from "../kv/put-kv-entry";
import { checkpointKey, taskSelect, type TaskRow } from "./task-view";
import { prismaSql } from "../db";

/** Operators' decisions are recorded as what happened: `redriven`, `resolved`, `cancelled`. */
const RECORDED_AS: Partial<Record<TaskEventType, string>> = {
  redrive: "redriven",
  resolve: "resolved",
  cancel: "cancelled",
};

export type TaskEventInput = {
  type: TaskEventType;
  step?: string;
  output?: unknown;
  checkpoint?: unknown;
  error?: TaskError;
  reason?: string | null;
};

/**
 * Applies one event to a task: lock the row, ask the core's transition table,
 * then write the status change, its numbered event, the checkpoint (KV), any
 * escalation and the audit event — all in the caller's transaction. A refusal
 * throws (409 invalid_transition / 412), and the caller audits it.
 */
export async function recordTaskEvent(
  tx: Tx,
  input: {
    taskId: string;
    workspaceId: string;
    /** Limits the task to this class (agents see only their own class's tasks). */
    workflowClassId?: string;
    event: TaskEventInput;
    expectedSeq?: number | null;
    actor: Actor;
    requestId?: string | null;
    now: Date;
  },
): Promise<TaskRow> {
  const { now, event } = input;
  const locked = await tx.$queryRaw<{ id: string }[]>`
    SELECT id FROM task WHERE id = ${input.taskId} AND workspace_id = ${input.workspaceId} FOR UPDATE`;
  if (!locked[0]) throw new AppError("not_found", "no such task");
  const task = await tx.task.findUniqueOrThrow({
    where: { id: input.taskId },
    select: {
      ...taskSelect,
      workflowClass: {
        select: {
          name: true,
          maxAttempts: true,
          initialIntervalMs: true,
          backoffCoefficient: true,
          maxIntervalMs: true,
          nonRetryableErrors: true,
        },
      },
    },
  });
  if (input.workflowClassId && task.workflowClassId !== input.workflowClassId)
    throw new AppError("not_found", "no such task");
  if (input.expectedSeq != null && input.expectedSeq !== task.lastSeq) {
    throw new AppError("version_conflict", "another event came first (If-Match)", {
      currentSeq: task.lastSeq,
      currentVersion: task.lastSeq,
    });
  }

  const policy: RetryPolicy = task.workflowClass;
  const decision = decideEvent(
    { status: task.status as TaskStatus, attempt: task.attempt, maxAttempts: task.maxAttempts, retryAt: task.retryAt },
    event,
    policy,
    now,
  );
  if (!decision.ok) throw new AppError("invalid_transition", decision.message, decision.details);

  if (!decision.recordsEvent) {
    // A heartbeat only moves the clock the timeout job watches.
    return tx.task.update({ where: { id: task.id }, data: { heartbeatAt: now }, select: taskSelect });
  }

  const failure =
    event.type === "timeout"
      ? { type: "timeout", message: "no heartbeat within the class's heartbeat timeout" }
      : event.error;
  if (event.type === "step_completed" && event.checkpoint !== undefined) {
    await putKvEntry(prismaSql(tx), {
      workspaceId: input.workspaceId,
      namespace: task.namespace.name,
      key: checkpointKey(task.id),
      value: event.checkpoint,
      precondition: { kind: "none" },
      actor: input.actor,
      reason: event.reason ?? `checkpoint after step ${event.step}`,
      correlationId: task.correlationId,
      requestId: input.requestId,
      now,
    });
  }

  const seq = task.lastSeq + 1;
  const data: Record<string, unknown> = {};
  if (failure) data.error = failure;
  if (event.reason) data.reason = event.reason;
  if (decision.retryAt) data.retryAt = decision.retryAt.toISOString();
  if (event.checkpoint !== undefined) data.checkpointKey = checkpointKey(task.id);
  if (event.type === "redrive") data.maxAttempts = decision.maxAttempts;

  const updated = await tx.task.update({
    where: { id: task.id },
    data: {
      status: decision.to,
      attempt: decision.attempt,
      maxAttempts: decision.maxAttempts,
      retryAt: decision.retryAt,
      heartbeatAt: decision.to === "running" ? now : null,
      lastSeq: seq,
      updatedAt: now,
      ...(failure ? { lastError: failure as Prisma.InputJsonValue } : {}),
      ...(event.type === "step_completed" && event.checkpoint !== undefined ? { checkpointStep: event.step } : {}),
      ...(event.output !== undefined && (event.type === "committed" || event.type === "resolve")
        ? { output: event.output as Prisma.InputJsonValue }
        : {}),
      events: {
        create: {
          seq,
          type: RECORDED_AS[event.type] ?? event.type,
          fromStatus: task.status,
          toStatus: decision.to,
          step: event.step ?? null,
          attempt: decision.attempt,
          actorType: input.actor.type,
          actorId: input.actor.id,
          actorName: input.actor.name,
          data: data as Prisma.InputJsonValue,
          createdAt: now,
        },
      },
    },
    select: taskSelect,
  });

  if (decision.escalation) {
    const escalation = await tx.escalation.create({
      data: {
        id: newId("esc"),
        workspaceId: input.workspaceId,
        taskId: task.id,
        cause: decision.escalation,
        reason: event.reason ?? failure?.message ?? null,
        createdAt: now,
        updatedAt: now,
      },
      select: { id: true },
    });
    // Outbox: the notification commits with the escalation; the worker delivers it.
    const { webhookUrl } = await tx.workflowClass.findUniqueOrThrow({
      where: { id: task.workflowClassId },
      select: { webhookUrl: true },
    });
    if (webhookUrl)
      await tx.webhookDelivery.create({
        data: { escalationId: escalation.id, tier: 1, url: webhookUrl, nextAttemptAt: now },
      });
  }
  await writeAudit(tx, {
    workspaceId: input.workspaceId,
    actor: input.actor,
    action: `task.${RECORDED_AS[event.type] ?? event.type}`,
    namespace: task.namespace.name,
    target: task.id,
    reason: event.reason ?? null,
    correlationId: task.correlationId,
    requestId: input.requestId,
    details: {
      seq,
      from: task.status,
      to: decision.to,
      attempt: decision.attempt,
      step: event.step ?? null,
      error: failure ?? null,
      escalation: decision.escalation,
    },
  });
  return updated;
}
