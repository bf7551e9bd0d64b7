import "server-only";
import { decideActionEvent, type ActionEvent, type ActionStatus } from "@/lib/core/actions";
import { AppError } from "@/lib/core/errors";
import { newId } from "@/lib/core/ids";
import { formatUsd, formatUsdDecimal, parseUsd } from "@/lib/core/money";
import type { Prisma } from "@/lib/generated/prisma/client";
import type { CompleteActionBody } from "@/lib/validations/actions";
import { writeAudit, type Actor, type AuditEntry } from "../audit";
import { prismaSql, type Sql, type Tx } from "../db";
import { actionRowFromJson, actionSelect, type ActionRow } from "./action-view";
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
  await writeAudit(tx, actionChangeAudit({ ...step, to: decision.to, reservation: decision.reservation }));
  return updated;
}

/** The audit event of one change of an action: `action.<what it became>`, with the arguments' SHA-256 in force. */
export function actionChangeAudit(change: {
  action: Pick<
    ActionRow,
    "id" | "workspaceId" | "action" | "status" | "correlationId" | "argumentsSha256" | "approvedArgumentsSha256"
  >;
  to: ActionStatus;
  reservation: string;
  actor: Actor;
  reason?: string | null;
  requestId?: string | null;
  details?: Record<string, unknown>;
}): AuditEntry {
  const { action } = change;
  return {
    workspaceId: action.workspaceId,
    actor: change.actor,
    action: `action.${AUDIT_VERB[change.to]}`,
    target: action.id,
    reason: change.reason ?? null,
    correlationId: action.correlationId,
    requestId: change.requestId ?? null,
    details: {
      action: action.action,
      from: action.status,
      to: change.to,
      argumentsSha256: action.approvedArgumentsSha256 ?? action.argumentsSha256,
      reservation: change.reservation,
      ...change.details,
    },
  };
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

/** The actual cost as reported: micro-dollars and tokens, null where the agent gave none (then the estimate). */
export function reportedActual(body: CompleteActionBody): { micros: bigint | null; tokens: bigint | null } {
  return {
    micros: micros(body.actual?.usd, "usd"),
    tokens: body.actual?.tokens === undefined ? null : BigInt(body.actual.tokens),
  };
}

const SETTLE = `SELECT action_settle($1, $2, $3, $4::action_status, $5, $6, $7::jsonb, $8::jsonb, $9) AS settled`;

/** Runs prisma/sql/action_settle.sql: the one UPDATE of a completion (null: not `allowed`, or out of scope). */
export async function settleAction(
  sql: Sql,
  input: { actionId: string; scope: ActionScope; body: CompleteActionBody; now: Date },
): Promise<ActionRow | null> {
  const actual = reportedActual(input.body);
  const [row] = await sql.query<{ settled: Record<string, unknown> | null }>(SETTLE, [
    input.actionId,
    input.scope.workspaceId,
    input.scope.workflowClassId ?? null,
    input.body.outcome,
    actual.micros,
    actual.tokens,
    input.body.result === undefined ? null : JSON.stringify(input.body.result),
    input.body.error === undefined ? null : JSON.stringify(input.body.error),
    input.now,
  ]);
  return row?.settled ? actionRowFromJson(row.settled) : null;
}

/** What a completion's audit event says beyond every change's facts. */
export function completionDetails(body: CompleteActionBody, settled: ActionRow, aboveRuleMaximum: boolean) {
  return { outcome: body.outcome, actual: body.actual ?? null, overrun: settled.overrun, aboveRuleMaximum };
}

/**
 * `POST /actions/{id}/complete`: the agent reports the outcome. lib/core/actions.ts decides whether
 * the action may complete; prisma/sql/action_settle.sql settles it at `actual` (default: the
 * estimate), marking an overrun; an actual above the deciding rule's `maxEstimateUsd` opens an
 * escalation (an agent that under-estimated to pass a rule is a human's business). Only from
 * `allowed`: anything else is 409.
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
  const decision = decideActionEvent(
    { status: action.status, expiresAt: action.expiresAt },
    { type: "complete", outcome: body.outcome },
    action,
    now,
  );
  if (!decision.ok) throw new AppError("invalid_transition", decision.message, decision.details);
  const settled = await settleAction(prismaSql(tx), { actionId: action.id, scope: input.scope, body, now });
  if (!settled) throw new Error(`action ${action.id} was allowed under its lock, yet not settled`);
  const rule = action.rule as { maxEstimateUsd?: number | null; name?: string } | null;
  const max = rule?.maxEstimateUsd == null ? null : micros(rule.maxEstimateUsd, "usd");
  const aboveRule = max !== null && settled.actualMicros !== null && settled.actualMicros > max;
  await writeAudit(
    tx,
    actionChangeAudit({
      action,
      to: decision.to,
      reservation: decision.reservation,
      actor: input.actor,
      reason: input.reason,
      requestId: input.requestId,
      details: completionDetails(body, settled, aboveRule),
    }),
  );
  if (aboveRule) await openOverrunEscalation(tx, settled, rule?.name ?? "", max!, settled.actualMicros!, now);
  return settled;
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
