import "server-only";
import { z } from "zod";
import { ERROR_STATUS, RETRY_AFTER_CODES } from "@/lib/core/errors";
import { NAMESPACE_NAME } from "@/lib/core/grants";
import {
  AGENT_ERROR_CODES,
  ERROR_DESCRIPTIONS,
  errorEnvelopeSchema,
  healthResponseSchema,
  kvDeleteResponseSchema,
  kvEntryResponseSchema,
  kvListResponseSchema,
  kvPutResponseSchema,
  policyResponseSchema,
  queryParameterSchemas,
  requestHeaderSchemas,
  taskEventResponseSchema,
  taskListResponseSchema,
  taskResponseSchema,
  taskWithEventsResponseSchema,
  type AgentErrorCode,
} from "@/lib/validations/agent-api";
import { jsonValueSchema } from "@/lib/validations/common";
import { putKvBodySchema } from "@/lib/validations/kv";
import { createTaskBodySchema, taskEventBodySchema } from "@/lib/validations/tasks";
import {
  actionResponseSchema,
  cancelActionBodySchema,
  completeActionBodySchema,
  requestActionBodySchema,
} from "@/lib/validations/actions";
import { AGENT_ENDPOINTS } from "./agent-api/endpoints";

/**
 * The OpenAPI 3.1 document of the agent API (API.md), generated from the
 * endpoint table (lib/server/agent-api/endpoints.ts: paths, methods,
 * operationIds, whether a call is counted or mutating, and each operation's
 * text), the zod schemas the routes parse (request bodies) and the schemas
 * their answers are checked against (lib/validations/agent-api.ts). Error
 * responses come from the code → status table of lib/core/errors.ts. Nothing
 * here is written by hand twice: a schema change shows up in the document, and
 * the test suites validate real responses against it.
 */

type JsonSchema = Record<string, unknown>;
export type OpenApiDocument = {
  openapi: "3.1.0";
  info: { title: string; version: string; description: string };
  servers: { url: string; description?: string }[];
  tags: { name: string; description: string }[];
  paths: Record<string, Record<string, OpenApiOperation>>;
  components: {
    schemas: Record<string, JsonSchema>;
    parameters: Record<string, OpenApiParameter>;
    headers: Record<string, OpenApiHeader>;
    securitySchemes: Record<string, JsonSchema>;
  };
};
export type OpenApiParameter = {
  name: string;
  in: "path" | "query" | "header";
  required?: boolean;
  description: string;
  schema: JsonSchema;
};
export type OpenApiHeader = { description: string; required?: boolean; schema: JsonSchema };
export type OpenApiResponse = {
  description: string;
  headers?: Record<string, { $ref: string }>;
  content?: Record<string, { schema: JsonSchema }>;
  "x-error-codes"?: AgentErrorCode[];
};
export type OpenApiOperation = {
  operationId: string;
  summary: string;
  description: string;
  tags: string[];
  security: Record<string, string[]>[];
  parameters: { $ref: string }[];
  requestBody?: { required: true; content: Record<string, { schema: JsonSchema }> };
  responses: Record<string, OpenApiResponse>;
};

// ——— schemas: one registry, one generator run, $refs between them ———

/** Error envelopes per status, each with the codes ERROR_STATUS maps to it. */
function errorStatuses(): Map<number, AgentErrorCode[]> {
  const byStatus = new Map<number, AgentErrorCode[]>();
  for (const code of AGENT_ERROR_CODES) {
    const status = ERROR_STATUS[code];
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  return byStatus;
}

const SCHEMAS = {
  JsonValue: jsonValueSchema,
  PutKvBody: putKvBodySchema,
  CreateTaskBody: createTaskBodySchema,
  TaskEventBody: taskEventBodySchema,
  Policy: policyResponseSchema,
  KvEntry: kvEntryResponseSchema,
  KvPutResult: kvPutResponseSchema,
  KvDeleteResult: kvDeleteResponseSchema,
  KvList: kvListResponseSchema,
  Task: taskResponseSchema,
  TaskEvent: taskEventResponseSchema,
  TaskWithEvents: taskWithEventsResponseSchema,
  TaskList: taskListResponseSchema,
  Health: healthResponseSchema,
  RequestActionBody: requestActionBodySchema,
  CompleteActionBody: completeActionBodySchema,
  CancelActionBody: cancelActionBodySchema,
  Action: actionResponseSchema,
} satisfies Record<string, z.ZodType>;

const SCHEMA_DESCRIPTIONS: Partial<Record<keyof typeof SCHEMAS, string>> = {
  JsonValue: "Any JSON value.",
  PutKvBody: "PUT /kv/{namespace}/{key}: the value (≤ 256 KiB of JSON) and an optional TTL in seconds.",
  CreateTaskBody: "POST /tasks: the task's namespace (write grant), input and correlation id.",
  TaskEventBody:
    "POST /tasks/{id}/events. `step_completed` requires `step` (and may carry `checkpoint`), `step_failed` requires `error`, `escalate` requires `reason`; only `step_completed` carries a checkpoint.",
  TaskEvent: "One event of a task's append-only timeline.",
  RequestActionBody:
    "POST /actions: what the agent is about to do outside BaseKV. `arguments` (≤ 64 KiB) are shown to approvers; the audit trail keeps only their SHA-256. `estimate.usd` has at most 6 decimals.",
  CompleteActionBody:
    "POST /actions/{id}/complete: the outcome, and the actual cost (default: the estimate). `result` ≤ 64 KiB.",
  CancelActionBody: "POST /actions/{id}/cancel: an optional reason (the body may be empty).",
  Action: "An action and what became of it: its status, the rule that decided, shadow verdicts, approvals.",
};

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });

/** Readability: zod spells out what JSON Schema already says (date-time, safe integers). */
function tidy(ctx: { jsonSchema: JsonSchema }) {
  const s = ctx.jsonSchema;
  if (s.format === "date-time") delete s.pattern;
  if (s.minimum === Number.MIN_SAFE_INTEGER) delete s.minimum;
  if (s.maximum === Number.MAX_SAFE_INTEGER) delete s.maximum;
}

function generateSchemas(): Record<string, JsonSchema> {
  const registry = z.registry<{ id: string; description?: string }>();
  for (const [id, schema] of Object.entries(SCHEMAS)) {
    registry.add(schema, { id, description: SCHEMA_DESCRIPTIONS[id as keyof typeof SCHEMAS] });
  }
  for (const [status, codes] of errorStatuses()) {
    registry.add(errorEnvelopeSchema(codes), {
      id: `Error${status}`,
      description: `The error envelope of a ${status}: ${codes.map((c) => `\`${c}\``).join(", ")}.`,
    });
  }
  const { schemas } = z.toJSONSchema(registry, {
    target: "draft-2020-12",
    io: "input",
    unrepresentable: "any",
    uri: (id) => `#/components/schemas/${id}`,
    override: (ctx) => {
      // z.json() is recursive; "any JSON value" is all a reader (or a validator) needs.
      if (ctx.zodSchema === jsonValueSchema) {
        for (const key of Object.keys(ctx.jsonSchema)) delete (ctx.jsonSchema as JsonSchema)[key];
      }
      tidy(ctx as { jsonSchema: JsonSchema });
    },
  });
  const out: Record<string, JsonSchema> = {};
  for (const [id, schema] of Object.entries(schemas)) {
    const { $schema: _dialect, $id: _id, ...rest } = schema as JsonSchema;
    out[id] = rest;
  }
  return out;
}

function inline(schema: z.ZodType): JsonSchema {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, {
    target: "draft-2020-12",
    io: "input",
    override: (ctx) => tidy(ctx as { jsonSchema: JsonSchema }),
  }) as JsonSchema;
  return rest;
}

// ——— parameters and headers ———

const PARAMETERS = {
  Namespace: {
    name: "namespace",
    in: "path",
    required: true,
    description: "Namespace name: 1–128 chars, lowercase segments `[a-z0-9][a-z0-9_-]*` joined by `.`.",
    schema: { type: "string", minLength: 1, maxLength: 128, pattern: NAMESPACE_NAME.source },
  },
  Key: {
    name: "key",
    in: "path",
    required: true,
    description: "The key: 1–512 bytes of UTF-8, percent-encoded as one path segment (`/` travels as `%2F`).",
    schema: { type: "string", minLength: 1 },
  },
  TaskId: {
    name: "id",
    in: "path",
    required: true,
    description: "The task's id (`task_…`).",
    schema: { type: "string", pattern: "^task_[0-9a-z]{16}$" },
  },
  ActionId: {
    name: "id",
    in: "path",
    required: true,
    description: "The action's id (`act_…`).",
    schema: { type: "string", pattern: "^act_[0-9a-z]{16}$" },
  },
  Wait: {
    name: "wait",
    in: "query",
    description:
      "0–30 seconds: answer as soon as the action is no longer `pending_approval`, or after this long with it still pending. Holds no database connection while it waits; counts 1 whatever its length.",
    schema: { type: "integer", minimum: 0, maximum: 30 },
  },
  Prefix: {
    name: "prefix",
    in: "query",
    description: "Only keys starting with this (≤ 512 bytes).",
    schema: inline(queryParameterSchemas.prefix),
  },
  Limit: {
    name: "limit",
    in: "query",
    description: "Page size, 1–1000 (default 100).",
    schema: inline(queryParameterSchemas.limit),
  },
  Cursor: {
    name: "cursor",
    in: "query",
    description: "The `nextCursor` of the previous page.",
    schema: inline(queryParameterSchemas.cursor),
  },
  TaskStatus: {
    name: "status",
    in: "query",
    description: "Only tasks in this status.",
    schema: inline(queryParameterSchemas.taskStatus),
  },
  Due: {
    name: "due",
    in: "query",
    description: "`true` keeps `retry_scheduled` tasks whose `retryAt` has passed.",
    schema: inline(queryParameterSchemas.due),
  },
  IdempotencyKey: {
    name: "Idempotency-Key",
    in: "header",
    description:
      "Stripe semantics, scoped to the identity, kept 24 h: the first response is stored and replayed (`Idempotent-Replayed: true`); the same key with a different request → 422 `idempotency_key_reused`.",
    schema: inline(requestHeaderSchemas.idempotencyKey),
  },
  CorrelationId: {
    name: "X-Correlation-Id",
    in: "header",
    description: "Echoed in the response and recorded in the audit trail; generated when absent.",
    schema: inline(requestHeaderSchemas.correlationId),
  },
  Reason: {
    name: "X-Reason",
    in: "header",
    description: "Why (≤ 500 chars, percent-encoded for non-ASCII); stored in the audit event.",
    schema: inline(requestHeaderSchemas.reason),
  },
  Priority: {
    name: "X-Priority",
    in: "header",
    description: "`low` calls are shed (429 `degraded_low_priority`) while the workspace is degraded.",
    schema: inline(requestHeaderSchemas.priority),
  },
  IfMatch: {
    name: "If-Match",
    in: "header",
    description: 'Apply only at this version (`"3"` or `3`); otherwise 412 `version_conflict`.',
    schema: inline(requestHeaderSchemas.ifMatch),
  },
  IfNoneMatch: {
    name: "If-None-Match",
    in: "header",
    description: "`*`: create only; 412 `version_conflict` if the key exists.",
    schema: inline(requestHeaderSchemas.ifNoneMatch),
  },
  IfMatchSeq: {
    name: "If-Match",
    in: "header",
    description: 'Refuse the event (412 `version_conflict`) unless the task\'s last event is this `seq` (`"3"`).',
    schema: inline(requestHeaderSchemas.ifMatch),
  },
} satisfies Record<string, OpenApiParameter>;

const int = { type: "integer", minimum: 0 };
const HEADERS: Record<string, OpenApiHeader> = {
  "X-Request-Id": {
    description: "This request's id (`req_…`); also in error bodies and the audit event.",
    required: true,
    schema: { type: "string" },
  },
  "X-Correlation-Id": {
    description: "The caller's X-Correlation-Id echoed, or a generated one.",
    required: true,
    schema: { type: "string" },
  },
  "X-Guardrail-Mode": {
    description: "The workspace's mode now (absent when the key was refused).",
    schema: { type: "string", enum: ["normal", "degraded", "stopped"] },
  },
  "RateLimit-Limit": { description: "The workspace's daily request limit (omitted when unlimited).", schema: int },
  "RateLimit-Remaining": { description: "Requests left today (omitted when unlimited).", schema: int },
  "RateLimit-Reset": { description: "Seconds until the daily budget resets (omitted when unlimited).", schema: int },
  "Retry-After": {
    description: "Seconds until the budget resets (absent for the kill switch).",
    schema: { type: "integer", minimum: 1 },
  },
  "Idempotent-Replayed": {
    description: "`true` on a replay of a stored response.",
    schema: { type: "string", enum: ["true"] },
  },
  ETag: {
    description: "The entry's version (KV) or the task's last event `seq` (tasks), quoted: `\"3\"`.",
    schema: { type: "string", pattern: '^"[0-9]+"$' },
  },
};
const headerRefs = (...names: (keyof typeof HEADERS)[]) =>
  Object.fromEntries(names.map((n) => [n, { $ref: `#/components/headers/${n}` }]));
const STANDARD_HEADERS = [
  "X-Request-Id",
  "X-Correlation-Id",
  "X-Guardrail-Mode",
  "RateLimit-Limit",
  "RateLimit-Remaining",
  "RateLimit-Reset",
] as const;

// ——— operations ———

const TAGS = [
  { name: "Policy", description: "What a key may do" },
  { name: "KV", description: "Namespaced, versioned key-value state" },
  { name: "Tasks", description: "Task state machines: create, report events, read" },
  { name: "Actions", description: "Ask before acting outside BaseKV: rules decide, people approve, the agent settles" },
  { name: "Operations", description: "Health, metrics and this document" },
] as const;

/** What the document says of one agent operation beyond the endpoint table's facts (its row's `openapi`). */
export type OperationDoc = {
  tag: (typeof TAGS)[number]["name"];
  summary: string;
  description: string;
  parameters: readonly (keyof typeof PARAMETERS)[];
  body?: keyof typeof SCHEMAS;
  success: readonly { status: number; schema: keyof typeof SCHEMAS; description: string; etag?: boolean }[];
  /** Codes beyond those every call of its kind can get. */
  errors: readonly AgentErrorCode[];
};

/** One agent operation: a row of the endpoint table (lib/server/agent-api/endpoints.ts), read for the document. */
type OperationSpec = OperationDoc & {
  method: "get" | "put" | "post" | "delete";
  path: string;
  operationId: string;
  /** Counted against the daily request budget (all but GET /policy). */
  counted: boolean;
  /** POST/PUT/DELETE: Idempotency-Key, X-Reason, the write ceiling. */
  mutating: boolean;
};

const agentOperations = (): OperationSpec[] =>
  AGENT_ENDPOINTS.map((row) => ({
    ...row.openapi,
    method: row.method.toLowerCase() as OperationSpec["method"],
    path: row.path,
    operationId: row.operationId,
    counted: row.options.counted,
    mutating: row.options.mutating,
  }));

/** The codes an operation can answer: those of every call of its kind, then its own; in table order. */
export function operationErrorCodes(op: Pick<OperationSpec, "counted" | "mutating" | "body" | "errors">) {
  const codes = new Set<AgentErrorCode>(["invalid_request", "unauthorized", "internal", ...op.errors]);
  if (op.counted) ["budget_exhausted", "degraded_low_priority"].forEach((c) => codes.add(c as AgentErrorCode));
  if (op.mutating) for (const c of ["idempotency_in_progress", "idempotency_key_reused"] as const) codes.add(c);
  // Settling (complete, cancel) is mutating but counts against no limit: no write ceiling either.
  if (op.mutating && op.counted) codes.add("write_ceiling_reached");
  if (op.body) codes.add("payload_too_large");
  return AGENT_ERROR_CODES.filter((c) => codes.has(c));
}

function agentOperation(op: OperationSpec): OpenApiOperation {
  const success: Record<string, OpenApiResponse> = {};
  for (const s of op.success) {
    success[String(s.status)] = {
      description: s.description,
      headers: headerRefs(
        ...STANDARD_HEADERS,
        ...(op.mutating ? (["Idempotent-Replayed"] as const) : []),
        ...(s.etag ? (["ETag"] as const) : []),
      ),
      content: { "application/json": { schema: ref(s.schema) } },
    };
  }
  const errors: Record<string, OpenApiResponse> = {};
  const byStatus = new Map<number, AgentErrorCode[]>();
  for (const code of operationErrorCodes(op)) {
    byStatus.set(ERROR_STATUS[code], [...(byStatus.get(ERROR_STATUS[code]) ?? []), code]);
  }
  for (const [status, codes] of [...byStatus].sort(([a], [b]) => a - b)) {
    const retryAfter = codes.some((c) => RETRY_AFTER_CODES.has(c));
    // A refusal decided while executing (e.g. 412) is stored under an Idempotency-Key and replayed.
    const replayable = op.mutating && status !== 401 && status !== 429 && status !== 500;
    errors[String(status)] = {
      description: codes.map((c) => `\`${c}\`: ${ERROR_DESCRIPTIONS[c]}`).join("\n\n"),
      headers: headerRefs(
        ...STANDARD_HEADERS,
        ...(retryAfter ? (["Retry-After"] as const) : []),
        ...(replayable ? (["Idempotent-Replayed"] as const) : []),
      ),
      content: { "application/json": { schema: ref(`Error${status}`) } },
      "x-error-codes": codes,
    };
  }
  const parameters = [
    ...op.parameters,
    "CorrelationId",
    "Priority",
    ...(op.mutating ? ["IdempotencyKey", "Reason"] : []),
  ].map((name) => ({ $ref: `#/components/parameters/${name}` }));
  return {
    operationId: op.operationId,
    summary: op.summary,
    description: op.description,
    tags: [op.tag],
    security: [{ agentKey: [] }],
    parameters,
    ...(op.body ? { requestBody: { required: true, content: { "application/json": { schema: ref(op.body) } } } } : {}),
    responses: { ...success, ...errors },
  };
}

const OPERATIONS_OUTSIDE: Record<string, Record<string, OpenApiOperation>> = {
  "/api/health": {
    get: {
      operationId: "getHealth",
      summary: "Liveness and database reachability",
      description: "No key needed. 503 when the database is down.",
      tags: ["Operations"],
      security: [],
      parameters: [],
      responses: {
        "200": { description: "Up", content: { "application/json": { schema: ref("Health") } } },
        "503": { description: "The database is down", content: { "application/json": { schema: ref("Health") } } },
      },
    },
  },
  "/api/v1/openapi.json": {
    get: {
      operationId: "getOpenApiDocument",
      summary: "This document",
      description: "The OpenAPI 3.1 document of the agent API. No key needed.",
      tags: ["Operations"],
      security: [],
      parameters: [],
      responses: { "200": { description: "The document", content: { "application/json": { schema: {} } } } },
    },
  },
  "/api/metrics": {
    get: {
      operationId: "getMetrics",
      summary: "Prometheus metrics",
      description:
        "Prometheus text exposition format. Needs `Authorization: Bearer $METRICS_TOKEN`; answers 404 when `METRICS_TOKEN` is not set.",
      tags: ["Operations"],
      security: [{ metricsToken: [] }],
      parameters: [],
      responses: {
        "200": { description: "The metrics", content: { "text/plain": { schema: { type: "string" } } } },
        "401": { description: "Missing or wrong token" },
        "404": { description: "Metrics are off (METRICS_TOKEN unset)" },
      },
    },
  },
};

function buildDocument(): OpenApiDocument {
  const paths: OpenApiDocument["paths"] = {};
  for (const op of agentOperations()) {
    paths[op.path] = { ...paths[op.path], [op.method]: agentOperation(op) };
  }
  return {
    openapi: "3.1.0",
    info: {
      title: "BaseKV Guardrails agent API",
      version: "1",
      description:
        "What agents call with `Authorization: Bearer bkv_…`. Every non-2xx response has the envelope `{ error: { code, message, requestId, details } }`. A method a path does not serve (anything under /api, e.g. `DELETE /api/v1/policy` or `TRACE`) answers 405 `method_not_allowed` (schema `Error405`) with `Allow` and `details.allowed` listing the methods it does (HEAD and OPTIONS wherever GET is served). Every authenticated call except GET /policy counts 1 against the workspace's daily request limit, every mutating call also 1 against the key's daily write ceiling; refused calls and idempotent replays do not count. Times are ISO-8601 UTC; ids are opaque strings.",
    },
    servers: [{ url: "/", description: "This server" }],
    tags: [...TAGS],
    paths: { ...paths, ...OPERATIONS_OUTSIDE },
    components: {
      schemas: generateSchemas(),
      parameters: PARAMETERS,
      headers: HEADERS,
      securitySchemes: {
        agentKey: { type: "http", scheme: "bearer", bearerFormat: "bkv_…", description: "An agent's API key." },
        metricsToken: { type: "http", scheme: "bearer", description: "The METRICS_TOKEN of the environment." },
      },
    },
  };
}

let cached: OpenApiDocument | undefined;

/** The document, built once per process (it depends only on the code). */
export function openApiDocument(): OpenApiDocument {
  cached ??= buildDocument();
  return cached;
}
