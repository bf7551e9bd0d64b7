import "server-only";
import { getDb, pgTransaction, poolSql, prismaSql, type Sql } from "../../db";
import { AGENT_TX_OPTIONS, runIdempotent, type Transaction } from "../idempotency";
import { readUsage } from "../../budgets/usage";
import { envelope, rawJson, respond, resultText, standardHeaders } from "./reply";
import type { AgentContext, AgentReply, AgentResult, DbKind, HandlerDb, RouteOptions } from "./types";

export type Handler<K extends DbKind, P, B = unknown> = (ctx: AgentContext<K, B>, params: P) => Promise<AgentResult>;

/**
 * Runs the handler where its route says: a reading route on the pool; a mutating route in one
 * transaction — plain `pg` for `db: "sql"`, Prisma's otherwise — and, with an Idempotency-Key,
 * through runIdempotent (claim, run, store the response, all in that transaction). A replay is
 * answered with the first response as it was, and gives back the units this call was charged.
 */
export async function runHandler<P>(input: {
  options: RouteOptions;
  handler: Handler<DbKind, P>;
  params: P;
  ctx: Omit<AgentContext, "db">;
  headers: Record<string, string>;
  fingerprint: string | null;
  refund: (() => Promise<void>) | null;
}): Promise<AgentReply> {
  const { options, handler, params, ctx, headers } = input;
  const kind: DbKind = options.db ?? "prisma";
  if (!options.mutating) return respond(await handler({ ...ctx, db: readingDb(kind) }, params), headers);

  const transaction: Transaction<AgentContext> =
    kind === "sql"
      ? (fn) => pgTransaction((sql) => fn({ ...ctx, db: { kind: "sql", sql } }, sql))
      : (fn) =>
          getDb().$transaction((tx) => {
            const sql = prismaSql(tx);
            return fn({ ...ctx, db: { kind: "prisma", tx, sql } }, sql);
          }, AGENT_TX_OPTIONS);
  // A refusal the handler answers itself (and commits: a denied action is kept) does not count either.
  const answered = async (result: AgentResult): Promise<AgentReply> => {
    if ((result.status ?? 200) < 400 || !input.refund) return respond(result, headers);
    await input.refund();
    const usage = await readUsage(ctx.principal, ctx.now, { fresh: true }).catch(() => ctx.usage);
    return respond(result, { ...headers, ...standardHeaders(ctx.requestId, ctx.correlationId, usage) });
  };
  if (!ctx.idempotencyKey) return answered(await transaction((c) => handler(c, params)));

  const { requestId } = ctx;
  const outcome = await runIdempotent({
    identityId: ctx.principal.identity.id,
    key: ctx.idempotencyKey,
    fingerprint: input.fingerprint!,
    now: ctx.now,
    transaction,
    refusesBeforeWriting: kind === "sql",
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
    await input.refund?.(); // a replay does not count again
    // The first response, as it was: same status, body and request id.
    return rawJson(outcome.response.status, outcome.response.body, {
      ...headers,
      ...outcome.response.headers,
      "Idempotent-Replayed": "true",
    });
  }
  return answered(outcome.result);
}

function readingDb(kind: DbKind): HandlerDb<DbKind> {
  const sql: Sql = poolSql();
  return kind === "sql" ? { kind, sql } : { kind, tx: getDb(), sql };
}
