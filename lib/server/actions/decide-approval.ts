import "server-only";
import { argumentsSha256 } from "@/lib/core/action-arguments";
import { decideApproval } from "@/lib/core/actions";
import { AppError } from "@/lib/core/errors";
import type { Prisma } from "@/lib/generated/prisma/client";
import { MAX_ACTION_JSON_BYTES } from "@/lib/validations/actions";
import { writeAudit, type Actor } from "../audit";
import { getDb, type Tx } from "../db";
import { actionSelect, argumentsInForce, coreApprovals, type ActionRow } from "./action-view";
import { lockAction } from "./change-action";
import { queueApprovalNotice } from "./notify";
import { wakeActionWaiters } from "./waiters";

/**
 * Who approves: a member (operator or admin) from the dashboard, a member named with the CLI's
 * `--as` (`via: "cli"`), or the CLI itself — which counts as one approver at most, whoever runs it
 * (its approvals are all `cli:cli`).
 */
export type Approver =
  { type: "user"; userId: string; name: string | null; via?: "cli" } | { type: "cli"; name: string | null };

export type ApprovalChoice =
  { decision: "approve"; reason: string; editedArguments?: unknown } | { decision: "reject"; reason: string };

const APPROVER_ROLES = ["admin", "operator"] as const;

/**
 * One person's decision on a pending action (API.md "Rules"): a reason always; one rejection
 * rejects; an approval binds to the SHA-256 of the arguments in force, or of the approver's edit
 * (which restarts the count); two required approvals take two different people; while the kill
 * switch is on no approval can be given (a rejection can). The decision, the action's change, the
 * notice and the audit event commit together; waiting agents are woken after the commit.
 */
export async function decideOnAction(input: {
  workspaceId: string;
  actionId: string;
  approver: Approver;
  choice: ApprovalChoice;
  /** The audit actor: the user, or the CLI (even with `--as`). */
  actor: Actor;
  now?: Date;
}): Promise<ActionRow> {
  const now = input.now ?? new Date();
  const row = await getDb().$transaction((tx) => decideInTransaction(tx, { ...input, now }));
  wakeActionWaiters(row.id);
  return row;
}

async function decideInTransaction(
  tx: Tx,
  input: Parameters<typeof decideOnAction>[0] & { now: Date },
): Promise<ActionRow> {
  const { approver, choice, now } = input;
  const action = await lockAction(tx, input.actionId, { workspaceId: input.workspaceId });
  if (approver.type === "user") await checkApprover(tx, input.workspaceId, approver.userId);
  if (choice.decision === "approve") {
    const { killSwitch } = await tx.workspace.findUniqueOrThrow({
      where: { id: input.workspaceId },
      select: { killSwitch: true },
    });
    if (killSwitch)
      throw new AppError(
        "conflict",
        "The kill switch is on: no action can be approved until it is off (you can still reject).",
      );
  }

  const edited =
    choice.decision === "approve" && choice.editedArguments !== undefined ? choice.editedArguments : undefined;
  if (edited !== undefined && Buffer.byteLength(JSON.stringify(edited) ?? "", "utf8") > MAX_ACTION_JSON_BYTES)
    throw new AppError("validation_failed", "Edited arguments are at most 64 KiB of JSON, like the agent's.", {
      issues: [{ path: ["arguments"], message: "at most 64 KiB of JSON" }],
    });
  const editedSha = edited === undefined ? undefined : argumentsSha256(edited);
  const by = approver.type === "user" ? `user:${approver.userId}` : "cli:cli";
  const decision = decideApproval({
    action: { status: action.status, expiresAt: action.expiresAt },
    approvals: coreApprovals(action),
    requiredApprovals: action.requiredApprovals === 2 ? 2 : 1,
    argumentsSha256: argumentsInForce(action),
    timeouts: action,
    decision:
      choice.decision === "approve"
        ? { by, decision: "approve", reason: choice.reason, ...(editedSha ? { argumentsSha256: editedSha } : {}) }
        : { by, decision: "reject", reason: choice.reason },
    now,
  });
  if (!decision.ok) throw new AppError(decision.code, decision.message, decision.details);

  await tx.actionApproval.create({
    data: {
      actionId: action.id,
      decision: choice.decision,
      byType: approver.type,
      byId: approver.type === "user" ? approver.userId : "cli",
      byName: approver.name,
      via: approver.type === "user" ? (approver.via ?? null) : null,
      reason: choice.reason.trim(),
      argumentsSha256: decision.argumentsSha256,
      editedArguments: decision.argumentsEdited ? (edited as Prisma.InputJsonValue) : undefined,
      createdAt: now,
    },
  });
  const moved = decision.to !== "pending_approval";
  const updated = await tx.action.update({
    where: { id: action.id },
    data: {
      status: decision.to,
      expiresAt: decision.expiresAt,
      updatedAt: now,
      ...(moved ? { decidedAt: now } : {}),
      ...(decision.argumentsEdited
        ? { approvedArguments: edited as Prisma.InputJsonValue, approvedArgumentsSha256: decision.argumentsSha256 }
        : {}),
    },
    select: actionSelect,
  });
  if (moved && action.taskId)
    await tx.task.updateMany({ where: { id: action.taskId, status: "running" }, data: { heartbeatAt: now } });
  if (moved)
    await queueApprovalNotice(tx, {
      actionId: action.id,
      workflowClassId: action.workflowClassId,
      event: "approval.decided",
      now,
    });
  await writeAudit(tx, {
    workspaceId: input.workspaceId,
    actor: input.actor,
    action: choice.decision === "reject" ? "action.rejected" : moved ? "action.approved" : "action.approval_recorded",
    target: action.id,
    reason: choice.reason.trim(),
    correlationId: action.correlationId,
    details: {
      action: action.action,
      from: action.status,
      to: decision.to,
      approver: {
        type: approver.type,
        id: approver.type === "user" ? approver.userId : "cli",
        name: approver.name,
        via: approver.type === "user" ? (approver.via ?? null) : null,
      },
      argumentsSha256: decision.argumentsSha256,
      argumentsEdited: decision.argumentsEdited,
      approvals: decision.approvalsCounted,
      requiredApprovals: action.requiredApprovals,
      reservation: decision.reservation,
    },
  });
  return updated;
}

async function checkApprover(tx: Tx, workspaceId: string, userId: string): Promise<void> {
  const member = await tx.membership.findFirst({
    where: { workspaceId, userId, role: { in: [...APPROVER_ROLES] } },
    select: { userId: true },
  });
  if (!member) throw new AppError("forbidden", "Only operators and admins of this workspace approve actions.");
}
