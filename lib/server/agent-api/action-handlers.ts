import "server-only";
import type { z } from "zod";
import { randomInt } from "node:crypto";
import { CREDENTIAL_SLOTS, normalBelow, WORKSPACE_SLOTS } from "@/lib/core/budget";
import { localDay } from "@/lib/core/calendar";
import { AppError } from "@/lib/core/errors";
import { cancelActionBodySchema, completeActionBodySchema, requestActionBodySchema } from "@/lib/validations/actions";
import { actionRowFromJson, toApiAction } from "../actions/action-view";
import {
  actionChangeAudit,
  cancelAction,
  completeAction,
  completionDetails,
  findAction,
  reportedActual,
  type ActionScope,
} from "../actions/change-action";
import { decideActionEvent } from "@/lib/core/actions";
import { writeAudit } from "../audit";
import { identityActor } from "./route/refusal";
import { decidedRow, decideRequest, requestAction, requestActionGuarded } from "../actions/request-action";
import { rulesAt } from "../actions/rules-cache";
import { normalModeHeaders, readUsage } from "../budgets/usage";
import { principalSpendScopes } from "../budgets/spend";
import { LEFT_TO_GENERAL_PATH, pgTransaction, poolSql } from "../db";
import { parseJsonBody } from "./route/body";
import { waitForDecision } from "../actions/waiters";
import type { AgentContext, AgentResult, ExpressCall, ExpressResult } from "./agent-route";
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
      identityName: p.identity.name,
      credentialId: p.credential.id,
      workflowClass: { id: p.workflowClass.id, name: p.workflowClass.name },
      grants: p.grants,
    },
    body: ctx.body(),
    correlationId: ctx.correlationId,
    requestId: ctx.requestId,
    reason: ctx.reason,
    now: ctx.now,
    spend: { principal: p, priority: ctx.priority },
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

/**
 * POST /actions in one statement, for the common case: a key this process knows, rules it holds at
 * the principal's version, a request an `allow` rule admits without a rate limit or a task. The
 * decision is `decideRequest`'s, as on the general path; anything else — another effect, a refusal,
 * a rate limit, a taskId, rules not held, a changed principal — is left to the general path (null).
 */
export async function requestActionExpress(call: ExpressCall): Promise<ExpressResult | null> {
  const p = call.principal;
  const w = p.workspace;
  const rules = rulesAt(w.id, w.actionRulesVersion);
  if (!rules) return null;
  let body: z.output<typeof requestActionBodySchema>;
  try {
    body = parseJsonBody(call.bodyText, requestActionBody) as z.output<typeof requestActionBodySchema>;
  } catch {
    return null;
  }
  if (body.taskId !== undefined) return null;
  const requester = {
    workspaceId: w.id,
    identityId: p.identity.id,
    identityName: p.identity.name,
    credentialId: p.credential.id,
    workflowClass: { id: p.workflowClass.id, name: p.workflowClass.name },
    grants: p.grants,
  };
  let decided: ReturnType<typeof decideRequest>;
  try {
    decided = decideRequest(rules.rules, rules.defaultEffect, requester, body, call.now);
  } catch {
    return null;
  }
  if (decided.status !== "allowed" || decided.decision.rule?.rateLimit) return null;
  const ids = { correlationId: call.correlationId, requestId: call.requestId };
  const response = JSON.stringify(toApiAction(decidedRow(decided, requester, body, ids, call.now)));
  const stored = await requestActionGuarded(poolSql(), {
    keyHash: call.keyHash,
    stamp: p.stamp,
    now: call.now,
    day: localDay(call.now, w.timeZone),
    normalBelow: normalBelow(w.dailyRequestLimit, w.degradeAtPercent),
    start: randomInt(WORKSPACE_SLOTS),
    slots: { workspace: WORKSPACE_SLOTS, credential: CREDENTIAL_SLOTS },
    decided,
    body,
    ...ids,
    reason: call.reason,
    response,
    idempotency: call.idempotency,
    spend: {
      day: localDay(call.now, w.timeZone),
      scopes: principalSpendScopes(p, call.now, { micros: decided.estimateMicros, tokens: decided.estimateTokens }),
      degradeAtPercent: w.degradeAtPercent,
    },
  });
  if (!stored) return null;
  return {
    result: { status: 201, rawBody: stored.response },
    budget: normalModeHeaders({
      now: call.now,
      timeZone: w.timeZone,
      requestLimit: w.dailyRequestLimit,
      requestsUsed: stored.requestsUsed,
    }),
    credential: { id: p.credential.id, lastUsedAt: stored.keyLastUsedAt },
  };
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

const AGENT_ACTION_COMPLETE = `SELECT * FROM agent_action_complete($1, $2, $3, $4, $5::action_status, $6, $7,
  $8::jsonb, $9::jsonb, $10, $11, $12)`;
const STORE_ANSWER = `SELECT 1 AS stored FROM idempotency_store($1, $2, 200, $3, $4::jsonb)`;

/**
 * POST /actions/{id}/complete for a key this process knows, in one short transaction: the core
 * allows `complete` from `allowed` (the status it assumes), agent_action_complete checks the
 * principal, claims the Idempotency-Key and settles the action only if it is still `allowed`
 * (action_settle, the general path's UPDATE too); then the same audit event and the stored answer.
 * Anything else — another status, a rule with a maximum estimate (an overrun escalation), a changed
 * principal — is left to the general path (null).
 */
export async function completeActionExpress(call: ExpressCall): Promise<ExpressResult | null> {
  const p = call.principal;
  const id = /^\/api\/v1\/actions\/(act_[0-9a-z]{16})\/complete$/.exec(new URL(call.request.url).pathname)?.[1];
  if (!id) return null;
  let body: z.output<typeof completeActionBodySchema>;
  let actual: ReturnType<typeof reportedActual>;
  try {
    body = parseJsonBody(call.bodyText, completeActionBody) as z.output<typeof completeActionBodySchema>;
    actual = reportedActual(body);
  } catch {
    return null;
  }
  const decision = decideActionEvent(
    { status: "allowed", expiresAt: null },
    { type: "complete", outcome: body.outcome },
    { approvalTimeoutSeconds: 0, completionTimeoutSeconds: 0 },
    call.now,
  );
  if (!decision.ok) return null;
  const { idempotency } = call;
  let answer: { text: string; lastUsedAt: Date | null } | null;
  try {
    answer = await pgTransaction(async (sql) => {
      const [row] = await sql.query<{
        settled: Record<string, unknown>;
        identity_id: string;
        key_last_used_at: Date | null;
      }>(AGENT_ACTION_COMPLETE, [
        call.keyHash,
        p.stamp,
        call.now,
        id,
        body.outcome,
        actual.micros,
        actual.tokens,
        body.result === undefined ? null : JSON.stringify(body.result),
        body.error === undefined ? null : JSON.stringify(body.error),
        idempotency?.key ?? null,
        idempotency?.fingerprint ?? null,
        idempotency?.expiresAt ?? null,
      ]);
      if (!row) return null;
      const settled = actionRowFromJson(row.settled);
      await writeAudit(
        sql,
        actionChangeAudit({
          action: { ...settled, status: "allowed" },
          to: decision.to,
          reservation: decision.reservation,
          actor: identityActor(p),
          reason: call.reason,
          requestId: call.requestId,
          details: completionDetails(body, settled, false),
        }),
      );
      const text = JSON.stringify(toApiAction(settled));
      if (idempotency)
        await sql.query(STORE_ANSWER, [
          row.identity_id,
          idempotency.key,
          text,
          JSON.stringify({ "X-Request-Id": call.requestId }),
        ]);
      return { text, lastUsedAt: row.key_last_used_at };
    });
  } catch (error) {
    if ((error as { code?: string }).code === LEFT_TO_GENERAL_PATH) return null;
    throw error;
  }
  if (!answer) return null;
  return {
    result: { status: 200, rawBody: answer.text },
    budget: await readUsage(p, call.now),
    credential: { id: p.credential.id, lastUsedAt: answer.lastUsedAt },
  };
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
