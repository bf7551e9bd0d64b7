import "server-only";
import { randomInt } from "node:crypto";
import { CREDENTIAL_SLOTS, normalBelow, WORKSPACE_SLOTS } from "@/lib/core/budget";
import { localDay } from "@/lib/core/calendar";
import { AppError } from "@/lib/core/errors";
import { decideAccess, isNamespaceName } from "@/lib/core/grants";
import { byteLength, checkKey, decodeCursor, parseListLimit, parsePreconditions } from "@/lib/core/kv";
import type { z } from "zod";
import { putKvBodySchema } from "@/lib/validations/kv";
import { normalModeHeaders } from "../budgets/usage";
import { poolSql } from "../db";
import { deleteKvEntry } from "../kv/delete-kv-entry";
import { getKvEntry } from "../kv/get-kv-entry";
import { listKvEntries } from "../kv/list-kv-entries";
import { putKvEntry, putKvGuarded } from "../kv/put-kv-entry";
import type { AgentContext, AgentRequest, AgentResult, ExpressCall, ExpressResult } from "./agent-route";
import { parseJsonBody } from "./route/body";
import type { BodySpec } from "./route/types";

const PREFIX = "/api/v1/kv/";

/**
 * Namespace and key from the raw path, not from the router's params: a key is
 * one percent-encoded segment and may itself contain `/` (as `%2F`), which
 * must not be decoded before the path is split.
 */
export function kvPath(request: AgentRequest, withKey: boolean): { namespace: string; key: string } {
  const raw = new URL(request.url).pathname;
  const segments = raw.slice(PREFIX.length).split("/");
  if (!raw.startsWith(PREFIX) || segments.length !== (withKey ? 2 : 1) || segments.some((s) => s === "")) {
    throw new AppError(
      "invalid_request",
      withKey
        ? "expected /api/v1/kv/{namespace}/{key}, the key percent-encoded as one segment"
        : "expected /api/v1/kv/{namespace}",
    );
  }
  let namespace: string;
  let key = "";
  try {
    namespace = decodeURIComponent(segments[0]!);
    if (withKey) key = decodeURIComponent(segments[1]!);
  } catch {
    throw new AppError("invalid_request", "the path is not valid percent-encoded UTF-8");
  }
  if (!isNamespaceName(namespace)) {
    throw new AppError(
      "invalid_request",
      "namespace names are 1–128 chars: lowercase segments [a-z0-9][a-z0-9_-]* joined by dots",
      { namespace },
    );
  }
  if (withKey) {
    const check = checkKey(key);
    if (!check.ok) throw new AppError("invalid_request", check.message);
  }
  return { namespace, key };
}

function preconditions(request: AgentRequest) {
  const parsed = parsePreconditions(request.headers.get("if-match"), request.headers.get("if-none-match"));
  if (!parsed.ok) throw new AppError("invalid_request", parsed.message);
  return parsed.value;
}

function entryHeaders(version: number) {
  return { ETag: `"${version}"` };
}

export async function getKvHandler(ctx: AgentContext<"sql">): Promise<AgentResult> {
  const { namespace, key } = kvPath(ctx.request, true);
  ctx.requireGrant(namespace, "read");
  const entry = await getKvEntry(ctx.db.sql, { workspaceId: ctx.principal.workspace.id, namespace, key, now: ctx.now });
  return {
    body: { ...entry, expiresAt: entry.expiresAt?.toISOString() ?? null, updatedAt: entry.updatedAt.toISOString() },
    headers: entryHeaders(entry.version),
  };
}

/** PUT /kv/{namespace}/{key}'s body. */
export const putKvBody = {
  schema: putKvBodySchema,
  shape: "{ value, ttlSeconds? }",
  values: ["value"],
} satisfies BodySpec<typeof putKvBodySchema>;
type PutKvBody = z.output<typeof putKvBodySchema>;

/** The PUT's path, grant, preconditions and body, checked in the order the API documents its refusals. */
function putInput(request: AgentRequest, body: () => PutKvBody, grants: (namespace: string) => void) {
  const { namespace, key } = kvPath(request, true);
  grants(namespace);
  const precondition = preconditions(request);
  const { value, ttlSeconds } = body();
  return { namespace, key, value, ttlSeconds, precondition };
}

export async function putKvHandler(ctx: AgentContext<"sql", PutKvBody>): Promise<AgentResult> {
  const input = putInput(ctx.request, ctx.body, (namespace) => ctx.requireGrant(namespace, "write"));
  const put = await putKvEntry(ctx.db.sql, {
    ...input,
    workspaceId: ctx.principal.workspace.id,
    actor: ctx.actor,
    reason: ctx.reason,
    correlationId: ctx.correlationId,
    requestId: ctx.requestId,
    now: ctx.now,
  });
  return { status: put.status, rawBody: put.body, headers: entryHeaders(put.version) };
}

/**
 * The PUT as one statement (prisma/sql/agent_kv_put.sql), on the decisions this takes from the
 * principal the process remembers for the key: its grant, the day, the degrade threshold. Null —
 * a malformed or refused request, or anything the statement leaves alone — is the general path's,
 * which refuses after the key is checked (and stores the refusal under its Idempotency-Key).
 */
export async function putKvExpress(call: ExpressCall): Promise<ExpressResult | null> {
  const p = call.principal;
  const w = p.workspace;
  let input: ReturnType<typeof putInput>;
  try {
    input = putInput(
      call.request,
      () => parseJsonBody(call.bodyText, putKvBody),
      (namespace) => {
        if (!decideAccess(p.grants, namespace, "write").allowed) throw new AppError("forbidden_namespace", namespace);
      },
    );
  } catch {
    return null;
  }
  const put = await putKvGuarded(poolSql(), {
    ...input,
    keyHash: call.keyHash,
    stamp: p.stamp,
    day: localDay(call.now, w.timeZone),
    normalBelow: normalBelow(w.dailyRequestLimit, w.degradeAtPercent),
    reason: call.reason,
    correlationId: call.correlationId,
    requestId: call.requestId,
    now: call.now,
    idempotency: call.idempotency,
    start: randomInt(WORKSPACE_SLOTS),
    slots: { workspace: WORKSPACE_SLOTS, credential: CREDENTIAL_SLOTS },
  });
  if (!put) return null;
  return {
    result: { status: put.status, rawBody: put.body, headers: entryHeaders(put.version) },
    budget: normalModeHeaders({
      now: call.now,
      timeZone: w.timeZone,
      requestLimit: w.dailyRequestLimit,
      requestsUsed: put.requestsUsed,
    }),
    credential: { id: p.credential.id, lastUsedAt: put.keyLastUsedAt },
  };
}

export async function deleteKvHandler(ctx: AgentContext<"sql">): Promise<AgentResult> {
  const { namespace, key } = kvPath(ctx.request, true);
  ctx.requireGrant(namespace, "write");
  const result = await deleteKvEntry(ctx.db.sql, {
    workspaceId: ctx.principal.workspace.id,
    namespace,
    key,
    precondition: preconditions(ctx.request),
    actor: ctx.actor,
    reason: ctx.reason,
    correlationId: ctx.correlationId,
    requestId: ctx.requestId,
    now: ctx.now,
  });
  return { body: result };
}

export async function listKvHandler(ctx: AgentContext<"sql">): Promise<AgentResult> {
  const { namespace } = kvPath(ctx.request, false);
  ctx.requireGrant(namespace, "read");
  const params = new URL(ctx.request.url).searchParams;
  const limit = parseListLimit(params.get("limit"));
  if (limit === null) throw new AppError("invalid_request", "limit must be an integer from 1 to 1000");
  const prefix = params.get("prefix") ?? "";
  if (byteLength(prefix) > 512 || prefix.includes("\u0000"))
    throw new AppError("invalid_request", "prefix must be at most 512 bytes, without NUL");
  const cursorParam = params.get("cursor");
  const after = cursorParam ? decodeCursor(cursorParam) : null;
  if (cursorParam && after === null) throw new AppError("invalid_request", "cursor is not one this API returned");
  const page = await listKvEntries(ctx.db.sql, {
    workspaceId: ctx.principal.workspace.id,
    namespace,
    prefix,
    after,
    limit,
    now: ctx.now,
  });
  return {
    body: {
      items: page.items.map((i) => ({
        key: i.key,
        version: i.version,
        expiresAt: i.expiresAt?.toISOString() ?? null,
        updatedAt: i.updatedAt.toISOString(),
      })),
      nextCursor: page.nextCursor,
    },
  };
}
