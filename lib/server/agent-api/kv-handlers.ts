import "server-only";
import { AppError } from "@/lib/core/errors";
import {
  byteLength,
  checkJsonValue,
  checkKey,
  decodeCursor,
  MAX_JSON_DEPTH,
  MAX_VALUE_BYTES,
  parseListLimit,
  parsePreconditions,
} from "@/lib/core/kv";
import { isNamespaceName } from "@/lib/core/grants";
import { putKvBodySchema } from "@/lib/validations/kv";
import { z } from "zod";
import { deleteKvEntry } from "../kv/delete-kv-entry";
import { getKvEntry } from "../kv/get-kv-entry";
import { listKvEntries } from "../kv/list-kv-entries";
import { randomInt } from "node:crypto";
import { CREDENTIAL_SLOTS, WORKSPACE_SLOTS } from "@/lib/core/budget";
import { putKvEntry, putKvGuarded } from "../kv/put-kv-entry";
import { poolSql } from "../db";
import type { AgentContext, AgentRequest, AgentResult, ExpressCall, ExpressResult } from "./agent-route";
import { normalModeHeaders } from "./usage";

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

export async function getKvHandler(ctx: AgentContext): Promise<AgentResult> {
  const { namespace, key } = kvPath(ctx.request, true);
  ctx.requireGrant(namespace, "read");
  const entry = await getKvEntry(ctx.sql, { workspaceId: ctx.principal.workspace.id, namespace, key, now: ctx.now });
  return {
    body: { ...entry, expiresAt: entry.expiresAt?.toISOString() ?? null, updatedAt: entry.updatedAt.toISOString() },
    headers: entryHeaders(entry.version),
  };
}

/** A PUT's preconditions and body, checked (refusals in the order the API documents). */
function putBody(request: AgentRequest, bodyText: string) {
  const precondition = preconditions(request);
  let raw: unknown;
  try {
    raw = JSON.parse(bodyText);
  } catch {
    throw new AppError("invalid_request", "the body is not valid JSON");
  }
  // Before the (recursive) schema: a hostile nesting depth must not exhaust the stack.
  const body = checkJsonValue(raw, MAX_JSON_DEPTH + 1);
  if (!body.ok)
    throw new AppError("validation_failed", `the body: ${body.message}`, {
      issues: [{ path: [], message: body.message }],
    });
  const parsed = putKvBodySchema.safeParse(raw);
  if (!parsed.success) {
    throw new AppError("validation_failed", "the body does not match { value, ttlSeconds? }", {
      issues: z.treeifyError(parsed.error),
    });
  }
  const valueText = JSON.stringify(parsed.data.value);
  if (byteLength(valueText) > MAX_VALUE_BYTES) {
    throw new AppError(
      "payload_too_large",
      `values are limited to ${MAX_VALUE_BYTES} bytes of JSON (got ${byteLength(valueText)})`,
    );
  }
  const valueCheck = checkJsonValue(parsed.data.value);
  if (!valueCheck.ok)
    throw new AppError("validation_failed", valueCheck.message, {
      issues: [{ path: ["value"], message: valueCheck.message }],
    });
  return { value: parsed.data.value, ttlSeconds: parsed.data.ttlSeconds, precondition };
}

function putInput(ctx: AgentContext) {
  const { namespace, key } = kvPath(ctx.request, true);
  ctx.requireGrant(namespace, "write");
  return {
    workspaceId: ctx.principal.workspace.id,
    namespace,
    key,
    ...putBody(ctx.request, ctx.bodyText),
    actor: ctx.actor,
    reason: ctx.reason,
    correlationId: ctx.correlationId,
    requestId: ctx.requestId,
    now: ctx.now,
  };
}

export async function putKvHandler(ctx: AgentContext): Promise<AgentResult> {
  const result = await putKvEntry(ctx.sql, putInput(ctx));
  return {
    status: result.created ? 201 : 200,
    body: {
      namespace: result.namespace,
      key: result.key,
      version: result.version,
      expiresAt: result.expiresAt?.toISOString() ?? null,
    },
    headers: entryHeaders(result.version),
  };
}

/**
 * The PUT as one statement (agent_kv_put): the key, its grant, the budget
 * units, the write, its audit event and stored response. Null — a malformed
 * request, or anything the statement leaves alone — is the general path's.
 */
export async function putKvExpress(call: ExpressCall): Promise<ExpressResult | null> {
  let input: ReturnType<typeof putBody> & { namespace: string; key: string };
  try {
    input = { ...kvPath(call.request, true), ...putBody(call.request, call.bodyText) };
  } catch {
    return null; // refused by the general path, after the key is checked (and stored under its Idempotency-Key)
  }
  const put = await putKvGuarded(poolSql(), {
    ...input,
    keyHash: call.keyHash,
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
    result: { status: put.version === 1 ? 201 : 200, rawBody: put.body, headers: entryHeaders(put.version) },
    budget: normalModeHeaders({
      now: call.now,
      timeZone: put.timeZone,
      requestLimit: put.requests.limit,
      requestsUsed: put.requests.used,
    }),
    credential: put.credential,
  };
}

export async function deleteKvHandler(ctx: AgentContext): Promise<AgentResult> {
  const { namespace, key } = kvPath(ctx.request, true);
  ctx.requireGrant(namespace, "write");
  const result = await deleteKvEntry(ctx.sql, {
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

export async function listKvHandler(ctx: AgentContext): Promise<AgentResult> {
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
  const page = await listKvEntries(ctx.sql, {
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
