import "server-only";
import { AppError, isAppError, RETRY_AFTER_CODES, type ErrorCode } from "@/lib/core/errors";
import { newId } from "@/lib/core/ids";
import { boundText, REFUSAL_TARGET_MAX, UNAUTHENTICATED_TARGET_MAX } from "@/lib/core/refusal-audit";
import type { AuditOutcome } from "@/lib/generated/prisma/client";
import { writeAudit, type Actor } from "../../audit";
import { holdExpress } from "../../budgets/express-hold";
import { readUsage } from "../../budgets/usage";
import { poolSql } from "../../db";
import { requestLogger } from "../../logger";
import type { AgentPrincipal } from "../authenticate";
import { admitUnauthenticatedAudit } from "../unauthenticated-audits";
import { errorReply, standardHeaders } from "./reply";
import type { AgentReply, AgentRequest, CallState, RouteOptions } from "./types";

/**
 * Every failure of a call, answered: an unexpected error is logged and becomes a 500; a refused
 * call (4xx) gives back the units it was charged (a 5xx keeps its unit: the server cannot know
 * whether the work committed — a connection cut after the commit — and a retry that replays it
 * must not leave an accepted call uncounted); a refusal worth recording is audited (before the key
 * is known, anyone can be refused: those are rationed per client address); a budget refusal says
 * when to retry. The envelope is API.md's.
 */
export async function refusalReply(error: unknown, state: CallState): Promise<AgentReply> {
  const { options, request, principal, requestId, now } = state;
  const correlationId = state.correlationId || newId("corr");
  const appError = isAppError(error) ? error : null;
  const log = requestLogger(requestId, correlationId);
  if (!appError) log.error({ err: error, path: new URL(request.url).pathname }, "agent route failed");
  const failure = appError ?? new AppError("internal", "internal error");
  if (failure.status < 500) await state.refund?.();
  let usage = state.usage;
  if (principal && (!usage || state.refund))
    usage = await readUsage(principal, now, { fresh: true }).catch(() => usage);
  const outcome = auditOutcome(failure.code);
  if (outcome && (principal || admitUnauthenticatedAudit(request.clientAddress?.() ?? null))) {
    await auditRefusal({
      options,
      request,
      principal,
      requestId,
      correlationId,
      reason: state.reason,
      error: failure,
      outcome,
    }).catch((auditError: unknown) => log.error({ err: auditError }, "could not audit a refused agent call"));
  }
  if (options.express && state.keyHash && usage && usage.mode !== "normal") holdExpress(state.keyHash);
  const headers = principal
    ? standardHeaders(requestId, correlationId, usage)
    : { "X-Request-Id": requestId, "X-Correlation-Id": correlationId };
  if (RETRY_AFTER_CODES.has(failure.code) && failure.details?.resetAt) {
    headers["Retry-After"] = String(
      Math.max(1, Math.ceil((new Date(String(failure.details.resetAt)).getTime() - now.getTime()) / 1000)),
    );
  }
  return errorReply(failure, requestId, headers);
}


export function identityActor(p: AgentPrincipal): Actor {
  return { type: "identity", id: p.identity.id, name: p.identity.name };
}

function auditOutcome(code: ErrorCode): AuditOutcome | null {
  switch (code) {
    case "unauthorized":
    case "forbidden":
    case "forbidden_namespace":
    case "budget_exhausted":
    case "write_ceiling_reached":
    case "degraded_low_priority":
    case "action_rate_limited":
    case "spend_budget_exhausted":
    case "action_denied":
    case "reason_required":
    case "validation_failed":
    case "ttl_exceeds_policy":
    case "payload_too_large":
    case "idempotency_key_reused":
      return "denied";
    case "invalid_transition":
    case "version_conflict":
    case "idempotency_in_progress":
    case "conflict":
      return "conflict";
    case "internal":
      return "error";
    default:
      return null; // 400 and 404: malformed or absent, nothing was attempted
  }
}

async function auditRefusal(input: {
  options: RouteOptions;
  request: AgentRequest;
  principal: AgentPrincipal | null;
  requestId: string;
  correlationId: string;
  reason: string | null;
  error: AppError;
  outcome: AuditOutcome;
}) {
  const { principal, error } = input;
  const url = new URL(input.request.url);
  await writeAudit(poolSql(), {
    workspaceId: principal?.workspace.id ?? null,
    actor: principal ? identityActor(principal) : { type: "identity", id: null, name: null },
    action: input.options.action,
    outcome: input.outcome,
    namespace: typeof error.details?.namespace === "string" ? error.details.namespace : null,
    target: boundText(url.pathname, principal ? REFUSAL_TARGET_MAX : UNAUTHENTICATED_TARGET_MAX),
    reason: input.reason,
    correlationId: input.correlationId,
    requestId: input.requestId,
    // The key itself is never recorded; its display prefix identifies it when known.
    details: {
      code: error.code,
      message: error.message,
      method: input.request.method,
      credential: principal ? { id: principal.credential.id, prefix: principal.credential.prefix } : null,
    },
  });
}
