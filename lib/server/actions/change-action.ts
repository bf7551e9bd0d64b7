import "server-only";
import { decideActionEvent, type ActionEvent, type ActionStatus } from "@/lib/core/actions";
import { AppError } from "@/lib/core/errors";
import { newId } from "@/lib/core/ids";
import { formatUsd, formatUsdDecimal, parseUsd } from "@/lib/core/money";
import type { Prisma } from "@/lib/generated/prisma/client";
import type { CompleteActionBody } from "@/lib/validations/actions";
import { writeAudit, type Actor } from "../audit";
import type { Tx } from "../db";
import { actionSelect, type ActionRow } from "./action-view";
import { queueApprovalNotice } from "./notify";

/** Who may see the action: the agent's workspace and class (API.md: others get 404). */
export type ActionScope = { workspaceId: string; workflowClassId?: string };

/** The action, locked for this transaction, if it is in scope; 404 otherwise. */
export async function lockAction(tx: Tx, actionId: string, scope: ActionScope): Promise<ActionRow> {
  const locked = await tx.$queryRaw<{ id: string }[]>`
    SELECT id FROM action WHERE id = ${actionId} AND workspace_id = ${scope.workspaceId}
      AND (${scope.workflowClassId ?? null}::text IS NULL OR workflow_class_id = ${scope.workflowClassId ?? null})
    FOR UPDATE`;
  if (!locked[0]) throw new AppError("not_found", "no such action");
  return tx.action.findUniqueOrThrow({ where: { id: actionId }, select: actionSelect });
}

/** The action if it is in scope (no lock: a read). */
export async function findAction(tx: Tx, actionId: string, scope: ActionScope): Promise<ActionRow> {
  const row = await tx.action.findFirst({
    where: {
      id: actionId,
      workspaceId: scope.workspaceId,
      ...(scope.workflowClassId ? { workflowClassId: scope.workflowClassId } : {}),
    },
    select: actionSelect,
  });
  if (!row) throw new AppError("not_found", "no such action");
  return row;
}

type Step = {
  tx: Tx;
  action: ActionRow;
  event: ActionEvent;
  actor: Actor;
  now: Date;
  reason?: string | null;
  requestId?: string | null;
  /** More columns to write with the status change. */
  data?: Prisma.ActionUpdateInput;
  /** More audit details. */
  details?: Record<string, unknown>;
};

/**
 * One event on a locked action, as lib/core/actions.ts decides it: the status and deadline change
 * and the audit event `action.<to>` in the caller's transaction; an event the table refuses is a
 * 409 `invalid_transition` (`details.from`). A task whose action leaves `pending_approval` gets its
 * heartbeat clock restarted (it was suspended while people decided).
 */
export async function applyActionEvent(step: Step): Promise<ActionRow> {
  const { tx, action, event, now } = step;
  const decision = decideActionEvent({ status: action.status, expiresAt: action.expiresAt }, event, action, now);
  if (!decision.ok) throw new AppError("invalid_transition", decision.message, decision.details);
  const updated = await tx.action.update({
    where: { id: action.id },
    data: {
      status: decision.to,
      expiresAt: decision.expiresAt,
      updatedAt: now,
      ...(action.status === "pending_approval" ? { decidedAt: now } : {}),
      ...step.data,
    },
    select: actionSelect,
  });
  if (action.status === "pending_approval" && action.taskId) await restartHeartbeat(tx, action.taskId, now);
  await writeAudit(tx, {
    workspaceId: action.workspaceId,
    actor: step.actor,
    action: `action.${AUDIT_VERB[decision.to]}`,
    target: action.id,
    reason: step.reason ?? null,
    correlationId: action.correlationId,
    requestId: step.requestId ?? null,
    details: {
      action: action.action,
      from: action.status,
      to: decision.to,
      argumentsSha256: action.approvedArgumentsSha256 ?? action.argumentsSha256,
      reservation: decision.reservation,
      ...step.details,
    },
  });
  return updated;
}

const AUDIT_VERB: Record<ActionStatus, string> = {
  allowed: "approved",
  pending_approval: "approval_recorded",
  succeeded: "succeeded",
  failed: "failed",
  denied: "denied",
  rejected: "rejected",
  expired: "expired",
  timed_out: "timed_out",
  cancelled: "cancelled",
};

/** Suspended while people decided (heartbeat-timeouts.ts skips such tasks): the timeout counts again from now. */
async function restartHeartbeat(tx: Tx, taskId: string, now: Date): Promise<void> {
  await tx.task.updateMany({ where: { id: taskId, status: "running" }, data: { heartbeatAt: now } });
}

function micros(value: number | undefined, field: string): bigint | null {
  if (value === undefined) return null;
  const parsed = parseUsd(value);
  if (!parsed.ok) throw new AppError("validation_failed", parsed.message, { issues: [{ path: ["actual", field] }] });
  return parsed.micros;
}

/**
 * `POST /actions/{id}/complete`: the agent reports the outcome. Settles at `actual` (default: the
 * estimate); an actual above the estimate is charged in full and marked `overrun`; an actual above
 * the deciding rule's `maxEstimateUsd` opens an escalation (an agent that under-estimated to pass a
 * rule is a human's business). Only from `allowed`: anything else is 409.
 */
export async function completeAction(
  tx: Tx,
  input: {
    actionId: string;
    scope: ActionScope;
    body: CompleteActionBody;
    actor: Actor;
    reason: string | null;
    requestId: string;
    now: Date;
  },
): Promise<ActionRow> {
  const { body, now } = input;
  const action = await lockAction(tx, input.actionId, input.scope);
  const actualMicros = micros(body.actual?.usd, "usd") ?? action.estimateMicros;
  const actualTokens = body.actual?.tokens !== undefined ? BigInt(body.actual.tokens) : action.estimateTokens;
  const overrun =
    (actualMicros !== null && actualMicros > (action.estimateMicros ?? 0n)) ||
    (actualTokens !== null && actualTokens > (action.estimateTokens ?? 0n));
  const rule = action.rule as { maxEstimateUsd?: number | null; name?: string } | null;
  const max = rule?.maxEstimateUsd == null ? null : micros(rule.maxEstimateUsd, "usd");
  const aboveRule = max !== null && actualMicros !== null && actualMicros > max;

  const updated = await applyActionEvent({
    tx,
    action,
    event: { type: "complete", outcome: body.outcome },
    actor: input.actor,
    now,
    reason: input.reason,
    requestId: input.requestId,
    data: {
      actualMicros,
      actualTokens,
      overrun,
      completedAt: now,
      result: body.result === undefined ? undefined : (body.result as Prisma.InputJsonValue),
      error: body.error === undefined ? undefined : (body.error as Prisma.InputJsonValue),
    },
    details: { outcome: body.outcome, actual: body.actual ?? null, overrun, aboveRuleMaximum: aboveRule },
  });
  if (aboveRule) await openOverrunEscalation(tx, updated, rule?.name ?? "", max!, actualMicros!, now);
  return updated;
}

async function openOverrunEscalation(
  tx: Tx,
  action: ActionRow,
  ruleName: string,
  max: bigint,
  actual: bigint,
  now: Date,
): Promise<void> {
  const usd = formatUsdDecimal;
  const escalation = await tx.escalation.create({
    data: {
      id: newId("esc"),
      workspaceId: action.workspaceId,
      actionId: action.id,
      cause: "overrun",
      reason: `${action.action} cost $${usd(actual)}, above the $${usd(max)} rule "${ruleName}" allows`,
      createdAt: now,
      updatedAt: now,
    },
    select: { id: true },
  });
  const { webhookUrl } = await tx.workflowClass.findUniqueOrThrow({
    where: { id: action.workflowClassId },
    select: { webhookUrl: true },
  });
  if (webhookUrl)
    await tx.webhookDelivery.create({
      data: { escalationId: escalation.id, tier: 1, url: webhookUrl, nextAttemptAt: now },
    });
  await writeAudit(tx, {
    workspaceId: action.workspaceId,
    actor: { type: "system", id: "action-overrun", name: "action-overrun" },
    action: "escalation.opened",
    target: escalation.id,
    reason: "an action cost more than its rule's maximum estimate",
    correlationId: action.correlationId,
    details: { actionId: action.id, cause: "overrun", actualUsd: formatUsd(actual), maxEstimateUsd: formatUsd(max) },
  });
}

/** `POST /actions/{id}/cancel`: from `pending_approval` or `allowed`; the reservation is released. */
export async function cancelAction(
  tx: Tx,
  input: { actionId: string; scope: ActionScope; actor: Actor; reason: string | null; requestId: string; now: Date },
): Promise<ActionRow> {
  const action = await lockAction(tx, input.actionId, input.scope);
  const updated = await applyActionEvent({
    tx,
    action,
    event: { type: "cancel" },
    actor: input.actor,
    now: input.now,
    reason: input.reason,
    requestId: input.requestId,
  });
  if (action.status === "pending_approval")
    await queueApprovalNotice(tx, {
      actionId: action.id,
      workflowClassId: action.workflowClassId,
      event: "approval.decided",
      now: input.now,
    });
  return updated;
}
