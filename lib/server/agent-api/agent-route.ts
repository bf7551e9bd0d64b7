import "server-only";
import { AppError, isAppError, type ErrorCode } from "@/lib/core/errors";
import { decideAccess, type Operation } from "@/lib/core/grants";
import { newId } from "@/lib/core/ids";
import { checkCredential } from "@/lib/core/credential-policy";
import { hashKey, parseBearer } from "@/lib/core/keys";
import type { AuditOutcome } from "@/lib/generated/prisma/client";
import { writeAudit, type Actor } from "../audit";
import { IDEMPOTENCY_RETENTION_SECONDS, requestFingerprint } from "@/lib/core/idempotency";
import { getDb, type Tx } from "../db";
import { requestLogger } from "../logger";
import { observeAgentRequest } from "../metrics";
import { loadPrincipal, touchLastUsed, type AgentPrincipal } from "./authenticate";
import { boundText, REFUSAL_TARGET_MAX, UNAUTHENTICATED_TARGET_MAX } from "@/lib/core/refusal-audit";
import { clientAddressOf } from "../auth/client-address";
import { admitUnauthenticatedAudit } from "./unauthenticated-audits";
import { expressHeld, forgetKey, holdExpress, keyVouchedFor, vouchForKey } from "./express-hold";
import { poolSql, pgTransaction, prismaSql, type Sql } from "../db";
import { AGENT_TX_OPTIONS, runIdempotent, type Transaction } from "./idempotency";
import { chargeCall, readUsage, type BudgetHeaders, type Charge, type Usage } from "./usage";

/**
 * What the wrapper and the handlers read of a request. Both a web `Request`
 * (Next.js route handlers, tests) and Node's `IncomingMessage` (the agent
 * API's own HTTP lane, `serveAgentRequest`) are turned into one of these.
 */
export type AgentRequest = {
  method: string;
  /** Absolute URL; the path exactly as sent (percent-encoding intact). */
  url: string;
  headers: { get(name: string): string | null };
  /** The body, chunk by chunk; null when there is none. */
  body: AsyncIterable<Uint8Array> | null;
  /**
   * The client's address (the TCP peer, or what trusted proxies say), null when unknown; rations the
   * audit of unauthenticated refusals. A function: worked out only for such a refusal, not per call.
   */
  clientAddress?: () => string | null;
};

/** A finished answer: the web entry turns it into a `Response`, the Node lane writes it to the socket. */
export type AgentReply = { status: number; headers: Record<string, string>; body: string };

/** One agent endpoint: a Next.js route handler, plus `serve` for callers that bring their own request. */
export type AgentEndpoint<P extends Record<string, string | string[]> = Record<string, string | string[]>> = ((
  request: Request,
  routeParams: RouteParams,
) => Promise<Response>) & { serve: (request: AgentRequest, params: P) => Promise<AgentReply> };

export type AgentContext = {
  request: AgentRequest;
  /** The transaction of a mutating call (its audit event and idempotency record commit with it); the client otherwise. */
  tx: Tx;
  /** Plain SQL on the same transaction (`plainSql` routes use only this; `tx` is then not transactional). */
  sql: Sql;
  /** The raw request body of a mutating call ("" otherwise). */
  bodyText: string;
  principal: AgentPrincipal;
  actor: Actor;
  requestId: string;
  correlationId: string;
  reason: string | null;
  priority: "low" | "normal";
  idempotencyKey: string | null;
  usage: Usage;
  now: Date;
  /** Throws 403 forbidden_namespace (audited by the wrapper) unless a grant allows it. */
  requireGrant: (namespace: string, operation: Operation) => void;
};

/** `rawBody`: JSON text already rendered (the hot path's stored response), sent as is. */
export type AgentResult = { status?: number; headers?: Record<string, string> } & (
  { body: unknown; rawBody?: undefined } | { rawBody: string; body?: undefined }
);

type Options = {
  /** Audit action for refusals of this route, e.g. `policy.read`, `kv.write`. */
  action: string;
  /** Counted against the daily request budget (everything but GET /policy). */
  counted?: boolean;
  /** POST/PUT/DELETE: runs in a transaction, honours Idempotency-Key. */
  mutating?: boolean;
  /**
   * The hot path: the handler uses only `ctx.sql`, on a plain `pg` transaction
   * (no ORM), and decides every refusal before its first write — so a refusal
   * needs no savepoint.
   */
  plainSql?: boolean;
  /**
   * The hot path, tried before anything else: the whole call — key, grant,
   * budget, write, audit event, stored response — in one statement that does
   * all of it or nothing. Null (anything out of the ordinary: a refusal, a
   * replay, the day's first call, a degraded workspace) falls through to the
   * general path, which decides and explains it. Not tried for a key whose
   * workspace the general path just found degraded or stopped (express-hold.ts).
   */
  express?: (call: ExpressCall) => Promise<ExpressResult | null>;
};

/** What the hot path knows before the key is looked up. */
export type ExpressCall = {
  request: AgentRequest;
  keyHash: string;
  bodyText: string;
  now: Date;
  requestId: string;
  correlationId: string;
  reason: string | null;
  idempotency: { key: string; fingerprint: string; expiresAt: Date } | null;
};
export type ExpressResult = {
  result: AgentResult;
  budget: BudgetHeaders;
  credential: { id: string; lastUsedAt: Date | null };
};

/** Bodies above this are refused before parsing (values themselves are limited to 256 KiB). */
const MAX_BODY_BYTES = 1024 * 1024;

type RouteParams = { params: Promise<Record<string, string | string[]>> };

/**
 * The one wrapper every agent route uses (STYLE.md): authenticate the bearer
 * key, load identity + class + workspace + grants, assign the request and
 * correlation ids, enforce the kill switch, set the standard headers, map
 * every error to the envelope of API.md, and audit every refusal. A route
 * cannot forget a guardrail because it cannot run outside this.
 */
export function agentRoute<P extends Record<string, string | string[]>>(
  options: Options,
  handler: (ctx: AgentContext, params: P) => Promise<AgentResult>,
): AgentEndpoint<P> {
  const counted = options.counted ?? true;
  const handle = async (request: AgentRequest, params: P): Promise<AgentReply> => {
    const now = new Date();
    const requestId = newId("req");
    let correlationId = ""; // the caller's, or a new one once the headers are read
    let principal: AgentPrincipal | null = null;
    let usage: Usage | null = null;
    let charge: Charge | null = null;
    let reason: string | null = null;
    let keyHash: string | null = null;

    try {
      const headers = parseAgentHeaders(request);
      correlationId = headers.correlationId ?? newId("corr");
      reason = headers.reason;

      const bearer = parseBearer(request.headers.get("authorization"));
      if (!bearer.ok) throw new AppError("unauthorized", bearer.message);
      keyHash = hashKey(bearer.key);

      // The hot path reads the body before the key is looked up (its one statement checks the key), so it
      // is taken only for a key this process has recently found valid; any other key is looked up first and
      // refused before its body is read (express-hold.ts). A body the general path would refuse (too large,
      // not UTF-8) is refused there, in its order (after the key and the budget).
      const expressEligible = Boolean(options.express) && keyVouchedFor(keyHash) && !expressHeld(keyHash);
      const early = expressEligible
        ? await readBodyText(request, MAX_BODY_BYTES).then(
            (text) => ({ text, error: null }),
            (error: unknown) => ({ text: "", error }),
          )
        : null;
      // Computed once: the hot path and, when it declines, the general path use the same fingerprint.
      let fingerprint: string | null = null;
      if (options.express && early && !early.error) {
        if (headers.idempotencyKey) fingerprint = fingerprintOf(request, early.text);
        const fast = await options.express({
          request,
          keyHash,
          bodyText: early.text,
          now,
          requestId,
          correlationId,
          reason,
          idempotency:
            headers.idempotencyKey && fingerprint
              ? {
                  key: headers.idempotencyKey,
                  fingerprint,
                  expiresAt: new Date(now.getTime() + IDEMPOTENCY_RETENTION_SECONDS * 1000),
                }
              : null,
        });
        if (fast) {
          touchLastUsed(fast.credential, now);
          return respond(fast.result, standardHeaders(requestId, correlationId, fast.budget));
        }
      }

      principal = await loadPrincipal(keyHash, now);
      const check = principal
        ? checkCredential({ ...principal.credential, identityStatus: principal.identity.status }, now)
        : null;
      if (!principal || !check) {
        forgetKey(keyHash);
        throw new AppError("unauthorized", "unknown API key");
      }
      if (!check.ok) {
        forgetKey(keyHash);
        throw new AppError("unauthorized", check.message, { reason: check.reason });
      }
      vouchForKey(keyHash, principal.credential.expiresAt, now);
      touchLastUsed(principal.credential, now);

      if (counted) {
        charge = await chargeCall(principal, { writes: Boolean(options.mutating), priority: headers.priority, now });
        usage = charge.usage;
      } else {
        usage = await readUsage(principal, now);
      }

      const p = principal;
      if (early?.error) throw early.error;
      const bodyText = early ? early.text : options.mutating ? await readBodyText(request, MAX_BODY_BYTES) : "";
      const idempotency =
        options.mutating && headers.idempotencyKey
          ? { key: headers.idempotencyKey, fingerprint: fingerprint ?? fingerprintOf(request, bodyText) }
          : null;
      const ctx: AgentContext = {
        request,
        tx: getDb(),
        sql: poolSql(),
        bodyText,
        principal: p,
        actor: identityActor(p),
        requestId,
        correlationId,
        reason,
        priority: headers.priority,
        idempotencyKey: headers.idempotencyKey,
        usage,
        now,
        requireGrant: (namespace, operation) => {
          const decision = decideAccess(p.grants, namespace, operation);
          if (!decision.allowed) {
            // The message names neither the grants nor whether the namespace exists.
            throw new AppError("forbidden_namespace", `this key may not ${operation} namespace "${namespace}"`, {
              namespace,
              access: operation,
            });
          }
        },
      };
      if (options.express && usage.mode !== "normal") holdExpress(keyHash);
      const headersOut = standardHeaders(requestId, correlationId, usage);

      if (!options.mutating) return respond(await handler(ctx, params), headersOut);
      const transaction: Transaction<AgentContext> = options.plainSql
        ? (fn) => pgTransaction((sql) => fn({ ...ctx, sql }, sql))
        : (fn) =>
            getDb().$transaction((tx) => {
              const sql = prismaSql(tx);
              return fn({ ...ctx, tx, sql }, sql);
            }, AGENT_TX_OPTIONS);
      if (!idempotency) return respond(await transaction((c) => handler(c, params)), headersOut);

      const outcome = await runIdempotent({
        identityId: p.identity.id,
        key: idempotency.key,
        fingerprint: idempotency.fingerprint,
        now,
        transaction,
        refusesBeforeWriting: Boolean(options.plainSql),
        execute: (c) => handler(c, params),
        toStored: (o) =>
          "result" in o
            ? {
                status: o.result.status ?? 200,
                body: resultText(o.result),
                headers: { "X-Request-Id": requestId, ...o.result.headers },
              }
            : {
                status: o.error.status,
                body: JSON.stringify(envelope(o.error, requestId)),
                headers: { "X-Request-Id": requestId },
              },
      });
      if (outcome.kind === "refused") throw outcome.error;
      if (outcome.kind === "replayed") {
        await charge?.refund(); // a replay does not count again
        // The first response, as it was: same status, body and request id.
        return rawJson(outcome.response.status, outcome.response.body, {
          ...headersOut,
          ...outcome.response.headers,
          "Idempotent-Replayed": "true",
        });
      }
      return respond(outcome.result, headersOut);
    } catch (error) {
      correlationId ||= newId("corr");
      const appError = isAppError(error) ? error : null;
      const log = requestLogger(requestId, correlationId);
      if (!appError) log.error({ err: error, path: new URL(request.url).pathname }, "agent route failed");
      const failure = appError ?? new AppError("internal", "internal error");
      // Refused calls (4xx) do not count: give back what this call was charged. A 5xx keeps its unit:
      // the server cannot know whether the work committed (a connection cut after the commit), and a
      // retry that replays it must not leave an accepted call uncounted.
      if (failure.status < 500) await charge?.refund();
      if (principal && (!usage || charge)) usage = await readUsage(principal, now, { fresh: true }).catch(() => usage);
      const outcome = auditOutcome(failure.code);
      // Before the key is known, anyone can be refused: those refusals are rationed per client address.
      if (outcome && (principal || admitUnauthenticatedAudit(request.clientAddress?.() ?? null))) {
        await auditRefusal({
          options,
          request,
          principal,
          requestId,
          correlationId,
          reason,
          error: failure,
          outcome,
        }).catch((auditError: unknown) => log.error({ err: auditError }, "could not audit a refused agent call"));
      }
      if (options.express && keyHash && usage && usage.mode !== "normal") holdExpress(keyHash);
      const headers = principal
        ? standardHeaders(requestId, correlationId, usage)
        : { "X-Request-Id": requestId, "X-Correlation-Id": correlationId };
      if (
        (failure.code === "budget_exhausted" || failure.code === "write_ceiling_reached") &&
        failure.details?.resetAt
      ) {
        headers["Retry-After"] = String(
          Math.max(1, Math.ceil((new Date(String(failure.details.resetAt)).getTime() - now.getTime()) / 1000)),
        );
      }
      return errorReply(failure, requestId, headers);
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

/** A web `Request` as the wrapper reads it. */
export function fromWebRequest(request: Request): AgentRequest {
  const body = request.body;
  return {
    method: request.method,
    url: request.url,
    headers: request.headers,
    body: body ? chunksOf(body) : null,
    clientAddress: () => clientAddressOf(request.headers),
  };
}

async function* chunksOf(stream: ReadableStream<Uint8Array>): AsyncGenerator<Uint8Array> {
  const reader = stream.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      yield value;
    }
  } finally {
    // Stopped early (a body over the limit): drop the rest instead of buffering it.
    await reader.cancel().catch(() => {});
  }
}

export function toResponse(reply: AgentReply): Response {
  return new Response(reply.body, { status: reply.status, headers: reply.headers });
}

function identityActor(p: AgentPrincipal): Actor {
  return { type: "identity", id: p.identity.id, name: p.identity.name };
}

type AgentHeaders = {
  correlationId: string | null;
  reason: string | null;
  priority: "low" | "normal";
  idempotencyKey: string | null;
};

const PRINTABLE = /^[\x20-\x7e]*$/;

function parseAgentHeaders(request: AgentRequest): AgentHeaders {
  const header = (name: string, max: number) => {
    const value = request.headers.get(name);
    if (value === null) return null;
    if (value.length === 0 || value.length > max || !PRINTABLE.test(value)) {
      throw new AppError("invalid_request", `${name} must be 1–${max} printable ASCII characters`, { header: name });
    }
    return value;
  };
  const priority = request.headers.get("x-priority");
  if (priority !== null && priority !== "low" && priority !== "normal") {
    throw new AppError("invalid_request", "X-Priority must be low or normal", { header: "X-Priority" });
  }
  const rawReason = request.headers.get("x-reason");
  if (rawReason !== null && rawReason.length > 500)
    throw new AppError("invalid_request", "X-Reason must be at most 500 characters", { header: "X-Reason" });
  // Reasons are free text: percent-decoding lets agents send non-ASCII in a header.
  const reason = rawReason === null ? null : safeDecode(rawReason);
  // PostgreSQL text cannot hold NUL: "%00" would fail the audit write (a 500) instead of a 400.
  if (reason?.includes("\u0000"))
    throw new AppError("invalid_request", "X-Reason may not contain NUL (%00)", { header: "X-Reason" });
  return {
    correlationId: header("x-correlation-id", 128),
    reason,
    priority: priority ?? "normal",
    idempotencyKey: header("idempotency-key", 255),
  };
}

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

export function standardHeaders(
  requestId: string,
  correlationId: string,
  usage: BudgetHeaders | null,
): Record<string, string> {
  const headers: Record<string, string> = {
    "X-Request-Id": requestId,
    "X-Correlation-Id": correlationId,
    "Cache-Control": "no-store",
  };
  if (usage) {
    headers["X-Guardrail-Mode"] = usage.mode;
    const { limit, remaining, resetAt } = usage.requests;
    if (limit !== null && remaining !== null) {
      headers["RateLimit-Limit"] = String(limit);
      headers["RateLimit-Remaining"] = String(remaining);
      headers["RateLimit-Reset"] = String(Math.max(0, Math.ceil((resetAt.getTime() - Date.now()) / 1000)));
    }
  }
  return headers;
}

function auditOutcome(code: ErrorCode): AuditOutcome | null {
  switch (code) {
    case "unauthorized":
    case "forbidden":
    case "forbidden_namespace":
    case "budget_exhausted":
    case "write_ceiling_reached":
    case "degraded_low_priority":
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
  options: Options;
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
  await writeAudit(getDb(), {
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

function resultText(result: AgentResult): string {
  return result.rawBody ?? JSON.stringify(result.body);
}

function respond(result: AgentResult, headers: Record<string, string>): AgentReply {
  return rawJson(result.status ?? 200, resultText(result), { ...headers, ...result.headers });
}

function fingerprintOf(request: AgentRequest, body: string): string {
  const url = new URL(request.url);
  return requestFingerprint({
    method: request.method,
    path: url.pathname + url.search,
    body,
    ifMatch: request.headers.get("if-match"),
    ifNoneMatch: request.headers.get("if-none-match"),
  });
}

function json(status: number, body: unknown, headers: Record<string, string>): AgentReply {
  return rawJson(status, JSON.stringify(body), headers);
}

function rawJson(status: number, text: string, headers: Record<string, string>): AgentReply {
  return { status, body: text, headers: { "Content-Type": "application/json", ...headers } };
}

function envelope(error: AppError, requestId: string) {
  return { error: { code: error.code, message: error.message, requestId, details: error.details ?? {} } };
}

export function errorReply(error: AppError, requestId: string, headers: Record<string, string> = {}): AgentReply {
  return json(error.status, envelope(error, requestId), { "X-Request-Id": requestId, ...headers });
}

/** Reads at most `limit` bytes: a huge body is refused without being held in memory. */
async function readBodyText(request: AgentRequest, limit: number): Promise<string> {
  const declared = Number(request.headers.get("content-length") ?? "0");
  if (declared > limit) throw new AppError("payload_too_large", `request bodies are limited to ${limit} bytes`);
  if (!request.body) return "";
  const chunks: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of request.body) {
    total += chunk.byteLength;
    if (total > limit) throw new AppError("payload_too_large", `request bodies are limited to ${limit} bytes`);
    chunks.push(chunk);
  }
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(Buffer.concat(chunks));
  } catch {
    throw new AppError("invalid_request", "the request body is not valid UTF-8");
  }
}
