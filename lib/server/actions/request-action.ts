import "server-only";
import { decideAction, decideRateLimit } from "@/lib/core/action-rules";
import { argumentsSha256 } from "@/lib/core/action-arguments";
import { decideActionEvent } from "@/lib/core/actions";
import { AppError } from "@/lib/core/errors";
import { decideAccess, type Grant } from "@/lib/core/grants";
import { newId } from "@/lib/core/ids";
import { parseUsd } from "@/lib/core/money";
import type { Prisma } from "@/lib/generated/prisma/client";
import type { RequestActionBody } from "@/lib/validations/actions";
import { writeAudit, type Actor } from "../audit";
import type { Tx } from "../db";
import { actionSelect, type ActionRow } from "./action-view";
import { queueApprovalNotice } from "./notify";
import { loadRules, ruleJson, type StoredRule } from "./rules";

const HOUR_MS = 3_600_000;

export type ActionRequester = {
  workspaceId: string;
  identityId: string;
  credentialId: string;
  workflowClass: { id: string; name: string };
  grants: readonly Grant[];
};

/**
 * `POST /actions`: the workspace's rules decide (lib/core/action-rules.ts); the action is stored
 * with a copy of the deciding rule, its shadow verdicts, the SHA-256 of its arguments and its
 * deadline, and audited — all in the caller's transaction. A denied action is kept too (status
 * `denied`, for the dashboard): the caller answers 403 with it. Refusals that leave nothing behind
 * throw: 422 `validation_failed` (no estimate where the rule requires one), 404 (a task the caller
 * may not read), 429 `action_rate_limited`.
 */
export async function requestAction(
  tx: Tx,
  input: {
    requester: ActionRequester;
    body: RequestActionBody;
    actor: Actor;
    correlationId: string;
    requestId: string;
    reason: string | null;
    now: Date;
  },
): Promise<ActionRow> {
  const { requester, body, now } = input;
  if (body.taskId !== undefined) await checkTask(tx, requester, body.taskId);

  const estimateMicros = body.estimate?.usd === undefined ? null : usd(body.estimate.usd);
  const { rules, defaultEffect } = await loadRules(tx, requester.workspaceId);
  const decision = decideAction(
    rules,
    {
      action: body.action,
      workflowClass: requester.workflowClass.name,
      estimate: { usd: estimateMicros, tokens: body.estimate?.tokens ?? null },
    },
    defaultEffect,
  );
  if (decision.refusal) {
    throw new AppError("validation_failed", decision.message ?? "the request is not valid", {
      issues: [
        decision.refusal === "estimate_required"
          ? { path: ["estimate", "usd"], message: "required by the rule that decides this action" }
          : { path: ["action"], message: "not an action name" },
      ],
      ...(decision.rule ? { rule: { id: decision.rule.id, name: decision.rule.name } } : {}),
    });
  }
  if (decision.rule && decision.effect !== "deny")
    await checkRateLimit(tx, requester, decision.rule, estimateMicros, now);

  const event =
    decision.effect === "allow" ? "rule_allow" : decision.effect === "deny" ? "rule_deny" : "rule_require_approval";
  const transition = decideActionEvent({ status: "requested", expiresAt: null }, { type: event }, decision, now);
  if (!transition.ok) throw new Error(`the action table refuses ${event} from requested`);

  const rule = decision.rule ? ruleJson(decision.rule) : null;
  const shadow = decision.shadow.map((s) => ({ rule: { id: s.rule.id, name: s.rule.name }, wouldBe: s.wouldBe }));
  const sha = argumentsSha256(body.arguments);
  const row = await tx.action.create({
    data: {
      id: newId("act"),
      workspaceId: requester.workspaceId,
      identityId: requester.identityId,
      credentialId: requester.credentialId,
      workflowClassId: requester.workflowClass.id,
      action: body.action,
      status: transition.to,
      summary: body.summary ?? null,
      resource: body.resource ?? null,
      arguments: body.arguments === undefined ? undefined : (body.arguments as Prisma.InputJsonValue),
      argumentsSha256: sha,
      estimateMicros,
      estimateTokens: body.estimate?.tokens === undefined ? null : BigInt(body.estimate.tokens),
      ruleId: rule?.id ?? null,
      ruleName: rule?.name ?? null,
      rule: rule ?? undefined,
      shadow,
      requiredApprovals: decision.requiredApprovals,
      approvalTimeoutSeconds: decision.approvalTimeoutSeconds,
      completionTimeoutSeconds: decision.completionTimeoutSeconds,
      expiresAt: transition.expiresAt,
      message: decision.effect === "deny" ? decision.message : null,
      taskId: body.taskId ?? null,
      correlationId: input.correlationId,
      requestId: input.requestId,
      decidedAt: transition.to === "pending_approval" ? null : now,
      createdAt: now,
      updatedAt: now,
    },
    select: actionSelect,
  });
  if (row.status === "pending_approval")
    await queueApprovalNotice(tx, {
      actionId: row.id,
      workflowClassId: requester.workflowClass.id,
      event: "approval.requested",
      now,
    });
  await writeAudit(tx, {
    workspaceId: requester.workspaceId,
    actor: input.actor,
    action: "action.requested",
    outcome: row.status === "denied" ? "denied" : "success",
    target: row.id,
    reason: input.reason,
    correlationId: input.correlationId,
    requestId: input.requestId,
    details: {
      action: row.action,
      status: row.status,
      rule: rule ? { id: rule.id, name: rule.name, effect: rule.effect } : null,
      defaultEffect: rule ? undefined : defaultEffect,
      shadow: shadow.map((s) => ({ rule: s.rule.name, wouldBe: s.wouldBe })),
      argumentsSha256: sha,
      estimate: body.estimate ?? null,
      taskId: row.taskId,
    },
  });
  return row;
}

function usd(value: number): bigint {
  const parsed = parseUsd(value);
  if (!parsed.ok) throw new AppError("validation_failed", parsed.message, { issues: [{ path: ["estimate", "usd"] }] });
  return parsed.micros;
}

/** A `taskId` names a task the caller may read: its workspace, its class, a read grant on the task's namespace. */
async function checkTask(tx: Tx, requester: ActionRequester, taskId: string): Promise<void> {
  const task = await tx.task.findFirst({
    where: { id: taskId, workspaceId: requester.workspaceId, workflowClassId: requester.workflowClass.id },
    select: { namespace: { select: { name: true } } },
  });
  if (!task || !decideAccess(requester.grants, task.namespace.name, "read").allowed)
    throw new AppError("not_found", "no such task");
}

/**
 * The deciding rule's `rateLimit`, per identity per hour: this identity's actions under this rule
 * in the last hour (denied ones were never admitted), counted under a transaction-scoped lock on
 * (identity, rule) so concurrent requests are admitted one at a time and the limit is exact.
 */
async function checkRateLimit(
  tx: Tx,
  requester: ActionRequester,
  rule: StoredRule,
  estimateMicros: bigint | null,
  now: Date,
): Promise<void> {
  if (!rule.rateLimit) return;
  await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtextextended(${`action-rate:${requester.identityId}:${rule.id}`}, 0))`;
  const since = new Date(now.getTime() - HOUR_MS);
  const [usage] = await tx.$queryRaw<{ actions: bigint; micros: bigint; oldest: Date | null }[]>`
    SELECT count(*) AS actions, COALESCE(sum(estimate_micros), 0)::bigint AS micros, min(created_at) AS oldest
    FROM action
    WHERE identity_id = ${requester.identityId} AND rule_id = ${rule.id} AND created_at > ${since}
      AND status <> 'denied'`;
  const verdict = decideRateLimit(rule, { actions: Number(usage!.actions), usd: usage!.micros }, estimateMicros);
  if (!verdict.limited) return;
  const resetAt = new Date((usage!.oldest ?? now).getTime() + HOUR_MS);
  throw new AppError("action_rate_limited", verdict.message, {
    rule: { id: rule.id, name: rule.name },
    by: verdict.by,
    limit: verdict.by === "usd" ? (ruleJson(rule).rateLimit?.usd ?? null) : Number(verdict.limit),
    resetAt: resetAt.toISOString(),
  });
}
