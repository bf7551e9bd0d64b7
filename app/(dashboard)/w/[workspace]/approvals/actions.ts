"use server";

import { revalidatePath } from "next/cache";
import { argumentsSha256 } from "@/lib/core/action-arguments";
import { AppError, isAppError } from "@/lib/core/errors";
import { workspaceAction } from "@/lib/server/action";
import { argumentsInForce } from "@/lib/server/actions/action-view";
import { decideOnAction, type ApprovalChoice } from "@/lib/server/actions/decide-approval";
import { freezeFromAction, liftFreeze } from "@/lib/server/actions/freeze-levers";
import { getDb } from "@/lib/server/db";
import { setIdentityStatus } from "@/lib/server/identities/set-identity-status";
import type { WorkspaceContext } from "@/lib/server/auth/session";
import type { Actor } from "@/lib/server/audit";
import {
  approveSchema,
  bulkRejectSchema,
  disableIdentitySchema,
  freezeSchema,
  liftFreezeSchema,
  rejectSchema,
} from "@/lib/validations/approvals";

function refresh(slug: string) {
  revalidatePath(`/w/${slug}`, "layout");
}

/**
 * decide-approval.ts's refusals as a person reads them in the form (the service's own words are
 * written for the API). `field` puts a message under its field.
 */
function decisionError(error: unknown): never {
  if (!isAppError(error)) throw error;
  const from = typeof error.details?.from === "string" ? error.details.from : null;
  switch (error.code) {
    case "reason_required":
      throw new AppError("reason_required", error.message, { field: "reason" });
    case "invalid_transition":
      if (from === "pending_approval")
        throw new AppError(
          "invalid_transition",
          "The approval deadline has passed: this action is expiring and can no longer be approved or rejected.",
        );
      throw new AppError(
        "invalid_transition",
        `This action is already ${(from ?? "decided").replace("_", " ")}: nothing was changed. Reload to see who decided it.`,
      );
    case "not_found":
      throw new AppError("not_found", "No such action in this workspace.");
    default:
      // already_approved, conflict (the kill switch), forbidden: their messages say what to do.
      throw error;
  }
}

function approverOf(ctx: WorkspaceContext & { actor: Actor }) {
  return { type: "user" as const, userId: ctx.user.id, name: ctx.user.name ?? ctx.user.email };
}

async function decide(ctx: WorkspaceContext & { actor: Actor }, actionId: string, choice: ApprovalChoice) {
  const row = await decideOnAction({
    workspaceId: ctx.workspace.id,
    actionId,
    approver: approverOf(ctx),
    choice,
    actor: ctx.actor,
  }).catch(decisionError);
  refresh(ctx.workspace.slug);
  return row;
}

/** Approve, as they are or with edited arguments (an edit whose JSON is the same as the arguments in force is none). */
export const approveAction = workspaceAction(
  { name: "action.approve", schema: approveSchema, permission: "actions.approve" },
  async (input, ctx) => {
    let editedArguments: unknown;
    if (input.arguments) {
      const current = await getDb().action.findFirst({
        where: { id: input.actionId, workspaceId: ctx.workspace.id },
        select: { argumentsSha256: true, approvedArgumentsSha256: true },
      });
      if (!current) throw new AppError("not_found", "No such action in this workspace.");
      if (argumentsSha256(input.arguments.value) !== argumentsInForce(current)) editedArguments = input.arguments.value;
    }
    const row = await decide(ctx, input.actionId, {
      decision: "approve",
      reason: input.reason,
      ...(editedArguments === undefined ? {} : { editedArguments }),
    });
    const edited = editedArguments === undefined ? "" : " with your edited arguments";
    return {
      message:
        row.status === "allowed"
          ? `Approved${edited}: the agent may go ahead.`
          : `Your approval${edited} is recorded: ${row.requiredApprovals} are needed, from different people.`,
    };
  },
);

export const rejectAction = workspaceAction(
  { name: "action.reject", schema: rejectSchema, permission: "actions.approve" },
  async (input, ctx) => {
    await decide(ctx, input.actionId, { decision: "reject", reason: input.reason });
    return { message: "Rejected: the agent is told not to go ahead." };
  },
);

/** Each rejection in its own transaction, so one that is refused (decided meanwhile) does not undo the others. */
export const bulkRejectAction = workspaceAction(
  { name: "action.bulk_reject", schema: bulkRejectSchema, permission: "actions.approve" },
  async (input, ctx) => {
    const failed: string[] = [];
    for (const actionId of input.ids) {
      try {
        await decideOnAction({
          workspaceId: ctx.workspace.id,
          actionId,
          approver: approverOf(ctx),
          choice: { decision: "reject", reason: input.reason },
          actor: ctx.actor,
        }).catch(decisionError);
      } catch (error) {
        if (!isAppError(error)) throw error;
        failed.push(`${actionId}: ${error.message}`);
      }
    }
    refresh(ctx.workspace.slug);
    const done = input.ids.length - failed.length;
    return {
      message: failed.length
        ? `Rejected ${done} of ${input.ids.length}. Not changed: ${failed.join("; ")}`
        : `Rejected ${done} pending approval(s).`,
    };
  },
);

export const freezePatternAction = workspaceAction(
  { name: "action.freeze", schema: freezeSchema, permission: "actions.approve" },
  async (input, ctx) => {
    const { pattern } = await freezeFromAction({
      workspaceId: ctx.workspace.id,
      actionId: input.actionId,
      scope: input.scope,
      actor: ctx.actor,
      reason: input.reason,
    });
    refresh(ctx.workspace.slug);
    return { message: `${pattern} is frozen: agents asking for it are denied from the next request on.` };
  },
);

export const liftFreezeAction = workspaceAction(
  { name: "action.unfreeze", schema: liftFreezeSchema, permission: "actions.approve" },
  async (input, ctx) => {
    await liftFreeze({ workspaceId: ctx.workspace.id, pattern: input.pattern, actor: ctx.actor, reason: input.reason });
    refresh(ctx.workspace.slug);
    return { message: `${input.pattern} is no longer frozen: the other rules decide again.` };
  },
);

/** The identity behind an action, disabled from the queue (its keys get 401 from the next call). */
export const disableIdentityAction = workspaceAction(
  { name: "identity.disable_from_queue", schema: disableIdentitySchema, permission: "actions.approve" },
  async (input, ctx) => {
    const identity = await setIdentityStatus({
      workspaceId: ctx.workspace.id,
      actor: ctx.actor,
      identityId: input.identityId,
      status: "disabled",
      reason: input.reason,
    });
    refresh(ctx.workspace.slug);
    return { message: `${identity.name} is disabled: its keys now get 401.` };
  },
);
