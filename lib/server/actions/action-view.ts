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
