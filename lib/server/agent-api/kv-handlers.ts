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
import { putKvEntry, putKvEntryOnce } from "../kv/put-kv-entry";
import type { AgentContext, AgentResult } from "./agent-route";

const PREFIX = "/api/v1/kv/";

/**
 * Namespace and key from the raw path, not from the router's params: a key is
 * one percent-encoded segment and may itself contain `/` (as `%2F`), which
 * must not be decoded before the path is split.
 */
export function kvPath(request: Request, withKey: boolean): { namespace: string; key: string } {
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

function preconditions(request: Request) {
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

function putInput(ctx: AgentContext) {
  const { namespace, key } = kvPath(ctx.request, true);
  ctx.requireGrant(namespace, "write");
  const precondition = preconditions(ctx.request);
  let raw: unknown;
  try {
    raw = JSON.parse(ctx.bodyText);
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
  return {
    workspaceId: ctx.principal.workspace.id,
    namespace,
    key,
    value: parsed.data.value,
    ttlSeconds: parsed.data.ttlSeconds,
    precondition,
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
 * The PUT as one statement (claim, write, audit, stored response); null when
 * it wrote nothing — a replay or a refusal, which the general path answers.
 */
export async function putKvAttempt(ctx: AgentContext): Promise<AgentResult | null> {
  let input: ReturnType<typeof putInput>;
  try {
    input = putInput(ctx);
  } catch {
    return null; // a malformed request: the general path refuses it (and stores the refusal under its key)
  }
  const outcome = await putKvEntryOnce(ctx.sql, input, ctx.idempotency);
  if (!outcome.written) return null;
  return { status: outcome.version === 1 ? 201 : 200, rawBody: outcome.body, headers: entryHeaders(outcome.version) };
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
