import "server-only";
import type { z } from "zod";
import { AppError } from "@/lib/core/errors";
import { decideAccess } from "@/lib/core/grants";
import { newId } from "@/lib/core/ids";
import { holdExpress } from "../budgets/express-hold";
import { chargeCall, readUsage } from "../budgets/usage";
import { observeAgentRequest } from "../metrics";
import { parseJsonBody } from "./route/body";
import { tryFastPath } from "./route/fast-path";
import { authenticate, keyHashOf } from "./route/principal";
import { identityActor, refusalReply } from "./route/refusal";
import { standardHeaders, toResponse } from "./route/reply";
import { fingerprintOf, fromWebRequest, MAX_BODY_BYTES, parseAgentHeaders, readBodyText } from "./route/request";
import { runHandler, type Handler } from "./route/run-handler";
import type {
  AgentContext,
  AgentEndpoint,
  AgentReply,
  AgentRequest,
  BodySpec,
  CallState,
  DbKind,
  RouteOptions,
  RouteParams,
} from "./route/types";

export type {
  AgentContext,
  AgentEndpoint,
  AgentReply,
  AgentRequest,
  AgentResult,
  ExpressCall,
  ExpressResult,
} from "./route/types";
export { errorReply, standardHeaders, toResponse } from "./route/reply";
export { fromWebRequest } from "./route/request";

/**
 * The one wrapper every agent route uses (STYLE.md), as a pipeline of named steps (route/):
 *
 *   1. headers        X-Correlation-Id, X-Reason, X-Priority, Idempotency-Key   route/request.ts
 *   2. key            the bearer key's hash                                     route/principal.ts
 *   3. fast path      the route's one statement, for a key this process knows  route/fast-path.ts
 *   4. authenticate   identity, class, workspace, grants — valid now, or 401    route/principal.ts
 *   5. budget         counted (or read) against the day's limits, or 429        budgets/usage.ts
 *   6. body           size limit and UTF-8 (parsed and checked on demand)       route/request.ts, route/body.ts
 *   7. handler        in its transaction, with its Idempotency-Key              route/run-handler.ts
 *   8. refusal        any failure: refund, audit, envelope, Retry-After         route/refusal.ts
 *
 * A route cannot forget a guardrail because it cannot run outside this.
 */
export function agentRoute<P extends Record<string, string | string[]>, S extends z.ZodType = z.ZodType>(
  options: RouteOptions & { db: "sql"; body?: BodySpec<S> },
  handler: Handler<"sql", P, z.output<S>>,
): AgentEndpoint<P>;
export function agentRoute<P extends Record<string, string | string[]>, S extends z.ZodType = z.ZodType>(
  options: RouteOptions & { db?: "prisma"; body?: BodySpec<S> },
  handler: Handler<"prisma", P, z.output<S>>,
): AgentEndpoint<P>;
export function agentRoute<P extends Record<string, string | string[]>>(
  options: RouteOptions,
  handler: Handler<DbKind, P, unknown>,
): AgentEndpoint<P> {
  const counted = options.counted ?? true;

  const handle = async (request: AgentRequest, params: P): Promise<AgentReply> => {
    const now = new Date();
    const state: CallState = {
      options,
      request,
      now,
      requestId: newId("req"),
      correlationId: "", // the caller's, or a new one, once the headers are read
      reason: null,
      keyHash: null,
      principal: null,
      usage: null,
      refund: null,
    };
    try {
      const headers = parseAgentHeaders(request);
      state.correlationId = headers.correlationId ?? newId("corr");
      state.reason = headers.reason;
      const keyHash = keyHashOf(request);
      state.keyHash = keyHash;

      const fast = await tryFastPath(state, headers);
      if (fast.reply) return fast.reply;

      const principal = await authenticate(state, keyHash);
      if (counted) {
        const charge = await chargeCall(principal, {
          writes: Boolean(options.mutating),
          priority: headers.priority,
          now,
        });
        state.usage = charge.usage;
        state.refund = charge.refund;
      } else {
        state.usage = await readUsage(principal, now);
      }
      const usage = state.usage;
      if (options.express && usage.mode !== "normal") holdExpress(state.keyHash);

      if (fast.early?.error) throw fast.early.error;
      const bodyText = fast.early
        ? fast.early.text
        : options.mutating
          ? await readBodyText(request, MAX_BODY_BYTES)
          : "";
      let parsed: { value: unknown } | null = null;
      const ctx: Omit<AgentContext, "db"> = {
        request,
        bodyText,
        body: () => {
          if (!options.body) throw new Error(`${options.action}: this route declares no body`);
          parsed ??= { value: parseJsonBody(bodyText, options.body) };
          return parsed.value;
        },
        principal,
        actor: identityActor(principal),
        requestId: state.requestId,
        correlationId: state.correlationId,
        reason: state.reason,
        priority: headers.priority,
        idempotencyKey: headers.idempotencyKey,
        usage,
        now,
        requireGrant: (namespace, operation) => {
          const decision = decideAccess(principal.grants, namespace, operation);
          if (!decision.allowed) {
            // The message names neither the grants nor whether the namespace exists.
            throw new AppError("forbidden_namespace", `this key may not ${operation} namespace "${namespace}"`, {
              namespace,
              access: operation,
            });
          }
        },
      };
      return await runHandler({
        options,
        handler,
        params,
        ctx,
        headers: standardHeaders(state.requestId, state.correlationId, usage),
        fingerprint:
          options.mutating && headers.idempotencyKey ? (fast.fingerprint ?? fingerprintOf(request, bodyText)) : null,
        refund: state.refund,
      });
    } catch (error) {
      return refusalReply(error, state);
    }
  };

  const serve = async (request: AgentRequest, params: P): Promise<AgentReply> => {
    const started = performance.now();
    const reply = await handle(request, params);
    observeAgentRequest({
      route: new URL(request.url).pathname,
      method: request.method,
      status: reply.status,
      durationMs: performance.now() - started,
    });
    return reply;
  };
  const route = async (request: Request, routeParams: RouteParams): Promise<Response> =>
    toResponse(await serve(fromWebRequest(request), (await routeParams.params) as P));
  return Object.assign(route, { serve });
}
