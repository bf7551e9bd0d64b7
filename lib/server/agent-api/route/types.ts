import type { z } from "zod";
import type { Operation } from "@/lib/core/grants";
import type { Actor } from "../../audit";
import type { BudgetHeaders, Usage } from "../../budgets/usage";
import type { Sql, Tx } from "../../db";
import type { AgentPrincipal } from "../authenticate";

/**
 * What the wrapper and the handlers read of a request. Both a web `Request`
 * (Next.js route handlers, tests) and Node's `IncomingMessage` (the agent
 * API's own HTTP lane, agent-server.ts) are turned into one of these.
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

/** `rawBody`: JSON text already rendered (a stored or database-rendered response), sent as is. */
export type AgentResult = { status?: number; headers?: Record<string, string> } & (
  { body: unknown; rawBody?: undefined } | { rawBody: string; body?: undefined }
);

/**
 * Where a handler's SQL goes. `sql` routes run on plain `pg` (the hot path: no ORM); `prisma`
 * routes have the Prisma client too. A mutating route's `sql` (and `tx`) is its transaction —
 * its audit event and idempotency record commit with it; a reading route's is the pool. A `sql`
 * route has no `tx` at all, so nothing can write outside its transaction by mistake.
 */
export type DbKind = "sql" | "prisma";
export type HandlerDb<K extends DbKind> = K extends "sql"
  ? { kind: "sql"; sql: Sql }
  : { kind: "prisma"; tx: Tx; sql: Sql };

/** A JSON body the route accepts: parsed and checked when the handler asks (`ctx.body()`), so refusals keep their documented order. */
export type BodySpec<S extends z.ZodType = z.ZodType> = {
  schema: S;
  /** How the refusal names the expected shape, e.g. "{ value, ttlSeconds? }". */
  shape: string;
  /** Fields that hold stored JSON values: each limited to MAX_VALUE_BYTES and checked like a value. */
  values: readonly string[];
};

export type RouteOptions = {
  /** Audit action for refusals of this route, e.g. `policy.read`, `kv.put`. */
  action: string;
  /** Counted against the daily request budget (everything but GET /policy). Default true. */
  counted?: boolean;
  /** POST/PUT/DELETE: runs in a transaction, honours Idempotency-Key. */
  mutating?: boolean;
  /** Default "prisma". "sql": the handler decides every refusal before its first write, so a refusal needs no savepoint. */
  db?: DbKind;
  body?: BodySpec;
  /**
   * The hot path, tried before anything else for a key this process knows (route/known-keys.ts):
   * the whole call in one statement that does all of it or nothing. Null falls through to the
   * general path, which decides and explains it. Not tried for a key whose workspace the general
   * path just found degraded or stopped (budgets/express-hold.ts).
   */
  express?: (call: ExpressCall) => Promise<ExpressResult | null>;
};

export type AgentContext<K extends DbKind = DbKind, B = unknown> = {
  request: AgentRequest;
  db: HandlerDb<K>;
  /** The raw request body of a mutating call ("" otherwise). */
  bodyText: string;
  /** The route's JSON body (its `body` option), parsed and checked on first call. */
  body: () => B;
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

/** What the hot path knows: the request, and the principal this process loaded for its key in the last minute. */
export type ExpressCall = {
  request: AgentRequest;
  keyHash: string;
  principal: AgentPrincipal;
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

/** One agent endpoint: a Next.js route handler, plus `serve` for callers that bring their own request. */
export type AgentEndpoint<P extends Record<string, string | string[]> = Record<string, string | string[]>> = ((
  request: Request,
  routeParams: RouteParams,
) => Promise<Response>) & { serve: (request: AgentRequest, params: P) => Promise<AgentReply> };

export type RouteParams = { params: Promise<Record<string, string | string[]>> };

/** What one call has learnt so far: the refusal step reads it to refund, audit and answer. */
export type CallState = {
  options: RouteOptions;
  request: AgentRequest;
  now: Date;
  requestId: string;
  correlationId: string;
  reason: string | null;
  keyHash: string | null;
  principal: AgentPrincipal | null;
  usage: Usage | null;
  refund: (() => Promise<void>) | null;
};
