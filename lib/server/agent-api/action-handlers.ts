import "server-only";
import type { z } from "zod";
import { AppError } from "@/lib/core/errors";
import { cancelActionBodySchema, completeActionBodySchema, requestActionBodySchema } from "@/lib/validations/actions";
import { toApiAction } from "../actions/action-view";
import { cancelAction, completeAction, findAction, type ActionScope } from "../actions/change-action";
import { requestAction } from "../actions/request-action";
import { waitForDecision } from "../actions/waiters";
import type { AgentContext, AgentResult } from "./agent-route";
import { envelope } from "./route/reply";
import type { BodySpec } from "./route/types";

/** The JSON fields checked like stored values (size, depth): arguments and results are shown to people. */
export const requestActionBody = {
  schema: requestActionBodySchema,
  shape: "the schema",
  values: ["arguments"],
} satisfies BodySpec<typeof requestActionBodySchema>;
export const completeActionBody = {
  schema: completeActionBodySchema,
  shape: "{ outcome, actual?, result?, error? }",
  values: ["result"],
} satisfies BodySpec<typeof completeActionBodySchema>;
export const cancelActionBody = {
  schema: cancelActionBodySchema,
  shape: "{ reason? } or no body",
  values: [],
} satisfies BodySpec<typeof cancelActionBodySchema>;

/** Longest `?wait=`, in seconds (API.md). */
export const MAX_WAIT_SECONDS = 30;

function actionIdFrom(params: { id?: string | string[] }): string {
  const id = typeof params.id === "string" ? params.id : "";
  if (!/^act_[0-9a-z]{16}$/.test(id)) throw new AppError("not_found", "no such action");
  return id;
}

function scopeOf(ctx: AgentContext): ActionScope {
  return { workspaceId: ctx.principal.workspace.id, workflowClassId: ctx.principal.workflowClass.id };
}

/** POST /actions → 201 allowed, 202 pending approval, 403 action_denied (the denied action is kept). */
export async function requestActionHandler(
  ctx: AgentContext<"prisma", z.output<typeof requestActionBodySchema>>,
): Promise<AgentResult> {
  const p = ctx.principal;
  const row = await requestAction(ctx.db.tx, {
    requester: {
      workspaceId: p.workspace.id,
      identityId: p.identity.id,
      credentialId: p.credential.id,
      workflowClass: { id: p.workflowClass.id, name: p.workflowClass.name },
      grants: p.grants,
    },
    body: ctx.body(),
    actor: ctx.actor,
    correlationId: ctx.correlationId,
    requestId: ctx.requestId,
    reason: ctx.reason,
    now: ctx.now,
  });
  if (row.status === "denied") {
    // Answered as a refusal, but committed: the denied request is on the dashboard and in the trail.
    const refusal = new AppError("action_denied", row.message ?? "denied", {
      rule: row.ruleId ? { id: row.ruleId, name: row.ruleName } : null,
      actionId: row.id,
    });
    return { status: refusal.status, body: envelope(refusal, ctx.requestId) };
  }
  return { status: row.status === "allowed" ? 201 : 202, body: toApiAction(row) };
}

/** GET /actions/{id}?wait=N — the long-poll holds no connection while it waits (actions/waiters.ts). */
export async function getActionHandler(ctx: AgentContext<"prisma">, params: { id?: string }): Promise<AgentResult> {
  const id = actionIdFrom(params);
  const waitParam = new URL(ctx.request.url).searchParams.get("wait");
  const wait = waitParam === null ? 0 : Number(waitParam);
  if (!Number.isInteger(wait) || wait < 0 || wait > MAX_WAIT_SECONDS || (waitParam !== null && waitParam.trim() === ""))
    throw new AppError("invalid_request", `wait must be a whole number of seconds from 0 to ${MAX_WAIT_SECONDS}`);
  let row = await findAction(ctx.db.tx, id, scopeOf(ctx));
  if (row.status === "pending_approval" && wait > 0) {
    await waitForDecision(id, wait * 1000);
    row = await findAction(ctx.db.tx, id, scopeOf(ctx));
  }
  return { body: toApiAction(row) };
}

/** POST /actions/{id}/complete — never refused for budget or mode: settling records money already spent. */
export async function completeActionHandler(
  ctx: AgentContext<"prisma", z.output<typeof completeActionBodySchema>>,
  params: { id?: string },
): Promise<AgentResult> {
  const row = await completeAction(ctx.db.tx, {
    actionId: actionIdFrom(params),
    scope: scopeOf(ctx),
    body: ctx.body(),
    actor: ctx.actor,
    reason: ctx.reason,
    requestId: ctx.requestId,
    now: ctx.now,
  });
  return { body: toApiAction(row) };
}

/** POST /actions/{id}/cancel — body optional; never refused for budget or mode. */
export async function cancelActionHandler(
  ctx: AgentContext<"prisma", z.output<typeof cancelActionBodySchema>>,
  params: { id?: string },
): Promise<AgentResult> {
  const id = actionIdFrom(params);
  const body = ctx.bodyText.trim() === "" ? {} : ctx.body();
  const row = await cancelAction(ctx.db.tx, {
    actionId: id,
    scope: scopeOf(ctx),
    actor: ctx.actor,
    reason: body.reason ?? ctx.reason,
    requestId: ctx.requestId,
    now: ctx.now,
  });
  return { body: toApiAction(row) };
}
