import "server-only";
import { decideAction, decideRateLimit, type ActionDecision, type ActionEffect } from "@/lib/core/action-rules";
import { argumentsSha256 } from "@/lib/core/action-arguments";
import { decideActionEvent, type ActionStatus } from "@/lib/core/actions";
import { AppError } from "@/lib/core/errors";
import { decideAccess, type Grant } from "@/lib/core/grants";
import { newId } from "@/lib/core/ids";
import { parseUsd } from "@/lib/core/money";
import type { RequestActionBody } from "@/lib/validations/actions";
import { localDay } from "@/lib/core/calendar";
import type { AgentPrincipal } from "../agent-api/authenticate";
import { auditDetailsJson } from "../audit";
import { reserveSpend, spendReserveParams } from "../budgets/spend";
import { SPEND_SLOTS, type SpendScope } from "@/lib/core/spend";
import { LEFT_TO_GENERAL_PATH, prismaSql, type Sql, type Tx } from "../db";
import { actionSelect, type ActionRow } from "./action-view";
import { queueApprovalNotice } from "./notify";
import { loadRules, ruleJson, type RuleJson, type StoredRule } from "./rules";

const HOUR_MS = 3_600_000;

export type ActionRequester = {
  workspaceId: string;
  identityId: string;
  identityName: string;
  credentialId: string;
  workflowClass: { id: string; name: string };
  grants: readonly Grant[];
};

/** A request as decided, before it is stored: every column of the action and its audit event. */
export type DecidedRequest = {
  id: string;
  status: ActionStatus;
  decision: ActionDecision<StoredRule>;
  rule: RuleJson | null;
  shadow: { rule: { id: string; name: string }; wouldBe: string }[];
  argumentsSha256: string;
  estimateMicros: bigint | null;
  estimateTokens: bigint | null;
  expiresAt: Date | null;
  message: string | null;
  auditDetails: string;
};

/**
 * What the rules make of a request (lib/core/action-rules.ts), and the action's first status and
 * deadline (lib/core/actions.ts) — the one decision both paths take: the general one below and the
 * one-statement path (agent-api/action-handlers.ts). Throws 422 for a request the rules refuse
 * before any action exists (an estimate the deciding rule requires).
 */
export function decideRequest(
  rules: readonly StoredRule[],
  defaultEffect: ActionEffect,
  requester: Pick<ActionRequester, "workflowClass">,
  body: RequestActionBody,
  now: Date,
): DecidedRequest {
  const estimateMicros = body.estimate?.usd === undefined ? null : usd(body.estimate.usd);
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
  const event =
    decision.effect === "allow" ? "rule_allow" : decision.effect === "deny" ? "rule_deny" : "rule_require_approval";
  const transition = decideActionEvent({ status: "requested", expiresAt: null }, { type: event }, decision, now);
  if (!transition.ok) throw new Error(`the action table refuses ${event} from requested`);
  const rule = decision.rule ? ruleJson(decision.rule) : null;
  const shadow = decision.shadow.map((s) => ({ rule: { id: s.rule.id, name: s.rule.name }, wouldBe: s.wouldBe }));
  const sha = argumentsSha256(body.arguments);
  return {
    id: newId("act"),
    status: transition.to,
    decision,
    rule,
    shadow,
    argumentsSha256: sha,
    estimateMicros,
    estimateTokens: body.estimate?.tokens === undefined ? null : BigInt(body.estimate.tokens),
    expiresAt: transition.expiresAt,
    message: decision.effect === "deny" ? decision.message : null,
    auditDetails: auditDetailsJson({
      action: body.action,
      status: transition.to,
      rule: rule ? { id: rule.id, name: rule.name, effect: rule.effect } : null,
      defaultEffect: rule ? undefined : defaultEffect,
      shadow: shadow.map((s) => ({ rule: s.rule.name, wouldBe: s.wouldBe })),
      argumentsSha256: sha,
      estimate: body.estimate ?? null,
      taskId: body.taskId ?? null,
    }),
  };
}

/** The action as its row will read once stored (the one-statement path answers with it without reading it back). */
export function decidedRow(
  decided: DecidedRequest,
  requester: ActionRequester,
  body: RequestActionBody,
  ids: { correlationId: string; requestId: string },
  now: Date,
): ActionRow {
  return {
    id: decided.id,
    workspaceId: requester.workspaceId,
    identityId: requester.identityId,
    credentialId: requester.credentialId,
    workflowClassId: requester.workflowClass.id,
    action: body.action,
    status: decided.status,
    summary: body.summary ?? null,
    resource: body.resource ?? null,
    arguments: (body.arguments ?? null) as ActionRow["arguments"],
    argumentsSha256: decided.argumentsSha256,
    approvedArguments: null,
    approvedArgumentsSha256: null,
    estimateMicros: decided.estimateMicros,
    estimateTokens: decided.estimateTokens,
    actualMicros: null,
    actualTokens: null,
    overrun: false,
    ruleId: decided.rule?.id ?? null,
    ruleName: decided.rule?.name ?? null,
    rule: decided.rule as ActionRow["rule"],
    shadow: decided.shadow as ActionRow["shadow"],
    requiredApprovals: decided.decision.requiredApprovals,
    approvalTimeoutSeconds: decided.decision.approvalTimeoutSeconds,
    completionTimeoutSeconds: decided.decision.completionTimeoutSeconds,
    expiresAt: decided.expiresAt,
    message: decided.message,
    result: null,
    error: null,
    taskId: body.taskId ?? null,
    correlationId: ids.correlationId,
    requestId: ids.requestId,
    decidedAt: decided.status === "pending_approval" ? null : now,
    completedAt: null,
    createdAt: now,
    updatedAt: now,
    approvals: [],
  };
}

/** The columns of a decided action that the request carries, as JSON text and numbers for SQL. */
export function decidedColumns(decided: DecidedRequest, body: RequestActionBody) {
  return {
    arguments: body.arguments === undefined ? null : JSON.stringify(body.arguments),
    rule: decided.rule ? JSON.stringify(decided.rule) : null,
    shadow: JSON.stringify(decided.shadow),
  };
}

const ACTION_INSERT = `SELECT 1 AS done FROM action_insert($1, $2, $3, $4, $5, $6, $7, $8::action_status, $9, $10, $11::jsonb, $12,
  $13, $14, $15, $16, $17::jsonb, $18::jsonb, $19, $20, $21, $22, $23, $24, $25, $26, $27, $28, $29::jsonb,
  $30::date, $31::text[], $32::date[], $33::int[])`;

/**
 * `POST /actions` on the general path: the workspace's rules decide (`decideRequest`); the action is
 * stored with a copy of the deciding rule, its shadow verdicts, the SHA-256 of its arguments and its
 * deadline, and audited (prisma/sql/action_insert.sql, the same INSERT the one-statement path runs)
 * — all in the caller's transaction. A denied action is kept too (status `denied`, for the
 * dashboard): the caller answers 403 with it. An admitted request's estimate is reserved in every
 * spend budget (budgets/spend.ts `reserveSpend`), in the same transaction. Refusals that leave
 * nothing behind throw: 422 `validation_failed`, 404 (a task the caller may not read), 429
 * `action_rate_limited`, `spend_budget_exhausted`, `degraded_low_priority`.
 */
export async function requestAction(
  tx: Tx,
  input: {
    requester: ActionRequester;
    body: RequestActionBody;
    correlationId: string;
    requestId: string;
    reason: string | null;
    now: Date;
    /** Whose spend budgets the estimate is reserved in, and the call's X-Priority. */
    spend: { principal: AgentPrincipal; priority: "low" | "normal" };
  },
): Promise<ActionRow> {
  const { requester, body, now } = input;
  if (body.taskId !== undefined) await checkTask(tx, requester, body.taskId);
  const { rules, defaultEffect } = await loadRules(tx, requester.workspaceId, { remember: true });
  const decided = decideRequest(rules, defaultEffect, requester, body, now);
  const decidingRule = decided.decision.rule;
  if (decidingRule && decided.decision.effect !== "deny")
    await checkRateLimit(tx, requester, decidingRule, decided.estimateMicros, now);
  const reservation =
    decided.status === "denied"
      ? null
      : await reserveSpend(prismaSql(tx), {
          principal: input.spend.principal,
          estimate: { micros: decided.estimateMicros, tokens: decided.estimateTokens },
          priority: input.spend.priority,
          now,
        });

  const columns = decidedColumns(decided, body);
  await prismaSql(tx).query(ACTION_INSERT, [
    decided.id,
    requester.workspaceId,
    requester.identityId,
    requester.identityName,
    requester.credentialId,
    requester.workflowClass.id,
    body.action,
    decided.status,
    body.summary ?? null,
    body.resource ?? null,
    columns.arguments,
    decided.argumentsSha256,
    decided.estimateMicros,
    decided.estimateTokens,
    decided.rule?.id ?? null,
    decided.rule?.name ?? null,
    columns.rule,
    columns.shadow,
    decided.decision.requiredApprovals,
    decided.decision.approvalTimeoutSeconds,
    decided.decision.completionTimeoutSeconds,
    decided.expiresAt,
    decided.message,
    body.taskId ?? null,
    input.correlationId,
    input.requestId,
    now,
    input.reason,
    decided.auditDetails,
    localDay(now, input.spend.principal.workspace.timeZone),
    reservation?.scopes.map((s) => s.scopeId) ?? [],
    reservation?.scopes.map((s) => s.period) ?? [],
    reservation?.slots ?? [],
  ]);
  if (decided.status === "pending_approval")
    await queueApprovalNotice(tx, {
      actionId: decided.id,
      workflowClassId: requester.workflowClass.id,
      event: "approval.requested",
      now,
    });
  return tx.action.findUniqueOrThrow({ where: { id: decided.id }, select: actionSelect });
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

const AGENT_ACTION_REQUEST = `SELECT * FROM agent_action_request($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12,
  $13::jsonb, $14, $15, $16, $17, $18, $19::jsonb, $20::jsonb, $21, $22, $23, $24, $25, $26, $27, $28::jsonb, $29,
  $30, $31, $32, $33::date, $34::text[], $35::date[], $36::bigint[], $37::bigint[], $38::bigint[], $39)`;

/**
 * An allowed request as one statement (prisma/sql/agent_action_request.sql), on decisions taken from a
 * remembered principal and the rules remembered at its version: checks the principal's stamp, then
 * claims the Idempotency-Key, reserves the estimate in every spend budget, stores the action and its
 * audit event, takes the budget units and stores the response — or nothing (null: the general path
 * takes the call, and explains a refusal).
 */
export async function requestActionGuarded(
  sql: Sql,
  input: {
    keyHash: string;
    stamp: string;
    now: Date;
    day: string;
    normalBelow: number | null;
    start: number;
    slots: { workspace: number; credential: number };
    decided: DecidedRequest;
    body: RequestActionBody;
    correlationId: string;
    requestId: string;
    reason: string | null;
    response: string;
    idempotency: { key: string; fingerprint: string; expiresAt: Date } | null;
    spend: { day: string; scopes: readonly SpendScope[]; degradeAtPercent: number };
  },
): Promise<{ response: string; keyLastUsedAt: Date | null; requestsUsed: number | null } | null> {
  const { decided, body, idempotency } = input;
  const columns = decidedColumns(decided, body);
  const spend = spendReserveParams(input.spend.scopes, input.spend.degradeAtPercent);
  let rows: { response: string; key_last_used_at: Date | null; requests_used: string | null }[];
  try {
    rows = await sql.query(AGENT_ACTION_REQUEST, [
      input.keyHash,
      input.stamp,
      input.now,
      input.day,
      input.normalBelow,
      input.start,
      input.slots.workspace,
      input.slots.credential,
      decided.id,
      body.action,
      body.summary ?? null,
      body.resource ?? null,
      columns.arguments,
      decided.argumentsSha256,
      decided.estimateMicros,
      decided.estimateTokens,
      decided.rule?.id ?? null,
      decided.rule?.name ?? null,
      columns.rule,
      columns.shadow,
      decided.decision.requiredApprovals,
      decided.decision.approvalTimeoutSeconds,
      decided.decision.completionTimeoutSeconds,
      decided.expiresAt,
      input.correlationId,
      input.requestId,
      input.reason,
      decided.auditDetails,
      input.response,
      idempotency?.key ?? null,
      idempotency?.fingerprint ?? null,
      idempotency?.expiresAt ?? null,
      input.spend.day,
      spend.scopes,
      spend.periods,
      spend.amounts,
      spend.caps,
      spend.normalBelow,
      SPEND_SLOTS,
    ]);
  } catch (error) {
    if ((error as { code?: string }).code === LEFT_TO_GENERAL_PATH) return null;
    throw error;
  }
  const row = rows[0];
  if (!row) return null;
  return {
    response: row.response,
    keyLastUsedAt: row.key_last_used_at,
    requestsUsed: row.requests_used === null ? null : Number(row.requests_used),
  };
}
