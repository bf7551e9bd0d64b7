import "server-only";
import type { Approval } from "@/lib/core/actions";
import { formatUsd } from "@/lib/core/money";
import type { ActionResponse } from "@/lib/validations/actions";
import type { Prisma } from "@/lib/generated/prisma/client";

/** What every reader of an action loads: the row and its approvals, oldest first. */
export const actionSelect = {
  id: true,
  workspaceId: true,
  identityId: true,
  credentialId: true,
  workflowClassId: true,
  action: true,
  status: true,
  summary: true,
  resource: true,
  arguments: true,
  argumentsSha256: true,
  approvedArguments: true,
  approvedArgumentsSha256: true,
  estimateMicros: true,
  estimateTokens: true,
  actualMicros: true,
  actualTokens: true,
  overrun: true,
  ruleId: true,
  ruleName: true,
  rule: true,
  shadow: true,
  requiredApprovals: true,
  approvalTimeoutSeconds: true,
  completionTimeoutSeconds: true,
  expiresAt: true,
  message: true,
  result: true,
  error: true,
  taskId: true,
  correlationId: true,
  requestId: true,
  decidedAt: true,
  completedAt: true,
  createdAt: true,
  updatedAt: true,
  approvals: {
    orderBy: { id: "asc" },
    select: {
      decision: true,
      byType: true,
      byId: true,
      byName: true,
      via: true,
      reason: true,
      argumentsSha256: true,
      editedArguments: true,
      createdAt: true,
    },
  },
} as const satisfies Prisma.ActionSelect;

export type ActionRow = Prisma.ActionGetPayload<{ select: typeof actionSelect }>;

const usd = (micros: bigint | null) => (micros === null ? null : formatUsd(micros));
const tokens = (count: bigint | null) => (count === null ? null : Number(count));

/** The arguments in force: the last edit's, else the agent's (what approvals bind to). */
export function argumentsInForce(row: Pick<ActionRow, "argumentsSha256" | "approvedArgumentsSha256">): string {
  return row.approvedArgumentsSha256 ?? row.argumentsSha256;
}

/** The approvals as lib/core/actions.ts counts them. */
export function coreApprovals(row: Pick<ActionRow, "approvals">): Approval[] {
  return row.approvals.map((a) => ({
    by: `${a.byType}:${a.byId}`,
    decision: a.decision as Approval["decision"],
    argumentsSha256: a.argumentsSha256,
    reason: a.reason,
    at: a.createdAt,
  }));
}

/** The action as API.md writes it. Arguments appear here (to the agent and approvers); the audit trail keeps only their SHA-256. */
export function toApiAction(row: ActionRow): ActionResponse {
  const rule = row.rule as { id: string; name: string; effect: string; mode: string } | null;
  return {
    id: row.id,
    action: row.action,
    status: row.status,
    summary: row.summary,
    resource: row.resource,
    arguments: (row.arguments ?? null) as ActionResponse["arguments"],
    approvedArguments: (row.approvedArguments ?? null) as ActionResponse["approvedArguments"],
    estimate: { usd: usd(row.estimateMicros), tokens: tokens(row.estimateTokens) },
    actual:
      row.actualMicros === null && row.actualTokens === null
        ? null
        : { usd: usd(row.actualMicros), tokens: tokens(row.actualTokens) },
    overrun: row.overrun,
    rule: rule
      ? {
          id: rule.id,
          name: rule.name,
          effect: rule.effect as NonNullable<ActionResponse["rule"]>["effect"],
          mode: rule.mode as NonNullable<ActionResponse["rule"]>["mode"],
        }
      : null,
    shadow: row.shadow as ActionResponse["shadow"],
    approvals: row.approvals.map((a) => ({
      by: {
        type: a.byType === "cli" ? ("cli" as const) : ("user" as const),
        id: a.byId,
        name: a.byName,
        ...(a.via === "cli" ? { via: "cli" as const } : {}),
      },
      decision: a.decision as "approve" | "reject",
      reason: a.reason,
      at: a.createdAt.toISOString(),
    })),
    requiredApprovals: row.requiredApprovals,
    expiresAt: row.expiresAt?.toISOString() ?? null,
    result: (row.result ?? null) as ActionResponse["result"],
    error: (row.error ?? null) as ActionResponse["error"],
    taskId: row.taskId,
    correlationId: row.correlationId,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

type Json = Record<string, unknown>;
const big = (v: unknown) => (v === null || v === undefined ? null : BigInt(v as number));
const time = (v: unknown) => (v === null || v === undefined ? null : new Date(v as string));

/** An action's row as PostgreSQL's `to_jsonb` writes it (with `approvals`), as the readers above load it. */
export function actionRowFromJson(j: Json): ActionRow {
  const approvals = (j.approvals as Json[] | undefined) ?? [];
  return {
    id: j.id as string,
    workspaceId: j.workspace_id as string,
    identityId: j.identity_id as string,
    credentialId: j.credential_id as string,
    workflowClassId: j.workflow_class_id as string,
    action: j.action as string,
    status: j.status as ActionRow["status"],
    summary: (j.summary as string | null) ?? null,
    resource: (j.resource as string | null) ?? null,
    arguments: (j.arguments ?? null) as ActionRow["arguments"],
    argumentsSha256: j.arguments_sha256 as string,
    approvedArguments: (j.approved_arguments ?? null) as ActionRow["approvedArguments"],
    approvedArgumentsSha256: (j.approved_arguments_sha256 as string | null) ?? null,
    estimateMicros: big(j.estimate_micros),
    estimateTokens: big(j.estimate_tokens),
    actualMicros: big(j.actual_micros),
    actualTokens: big(j.actual_tokens),
    overrun: j.overrun as boolean,
    ruleId: (j.rule_id as string | null) ?? null,
    ruleName: (j.rule_name as string | null) ?? null,
    rule: (j.rule ?? null) as ActionRow["rule"],
    shadow: (j.shadow ?? []) as ActionRow["shadow"],
    requiredApprovals: j.required_approvals as number,
    approvalTimeoutSeconds: j.approval_timeout_seconds as number,
    completionTimeoutSeconds: j.completion_timeout_seconds as number,
    expiresAt: time(j.expires_at),
    message: (j.message as string | null) ?? null,
    result: (j.result ?? null) as ActionRow["result"],
    error: (j.error ?? null) as ActionRow["error"],
    taskId: (j.task_id as string | null) ?? null,
    correlationId: j.correlation_id as string,
    requestId: (j.request_id as string | null) ?? null,
    decidedAt: time(j.decided_at),
    completedAt: time(j.completed_at),
    createdAt: time(j.created_at)!,
    updatedAt: time(j.updated_at)!,
    approvals: approvals.map((a) => ({
      decision: a.decision as string,
      byType: a.by_type as ActionRow["approvals"][number]["byType"],
      byId: a.by_id as string,
      byName: (a.by_name as string | null) ?? null,
      via: (a.via as string | null) ?? null,
      reason: a.reason as string,
      argumentsSha256: a.arguments_sha256 as string,
      editedArguments: (a.edited_arguments ?? null) as ActionRow["approvals"][number]["editedArguments"],
      createdAt: time(a.created_at)!,
    })),
  };
}
