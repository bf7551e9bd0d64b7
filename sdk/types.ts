/**
 * The agent API's shapes as the SDK sees them (../shared/API.md).
 *
 * Request bodies are inferred from the very zod schemas the server parses
 * (lib/validations), through `import type` only, so the SDK bundles nothing of
 * zod. Response types are written out here to the letter of API.md; once
 * lib/validations carries response schemas (they are being added for the
 * OpenAPI document) these should become `z.infer` of them too.
 */
import type { z } from "zod";
import type { ErrorCode } from "@/lib/core/errors";
import type { TaskStatus as CoreTaskStatus, TaskEventType as CoreTaskEventType } from "@/lib/core/tasks";
import type { putKvBodySchema } from "@/lib/validations/kv";
import type { createTaskBodySchema, taskErrorSchema, taskEventBodySchema } from "@/lib/validations/tasks";

export type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

// ——— request bodies (from the server's schemas) ———
export type PutKvBody = z.input<typeof putKvBodySchema>;
export type CreateTaskBody = z.input<typeof createTaskBodySchema>;
export type TaskEventBody = z.input<typeof taskEventBodySchema>;
export type TaskEventError = z.input<typeof taskErrorSchema>;
export type AgentEventType = TaskEventBody["type"];

// ——— errors ———
/** A code the agent API answers with (API.md "Errors"); each one is checked to exist in lib/core/errors.ts. */
export type ApiErrorCode = Extract<
  ErrorCode,
  | "invalid_request"
  | "unauthorized"
  | "forbidden_namespace"
  | "not_found"
  | "invalid_transition"
  | "idempotency_in_progress"
  | "version_conflict"
  | "payload_too_large"
  | "validation_failed"
  | "idempotency_key_reused"
  | "ttl_exceeds_policy"
  | "budget_exhausted"
  | "write_ceiling_reached"
  | "degraded_low_priority"
  | "internal"
>;
/** The SDK's own: the request never got an answer, or the answer was not the API's JSON. */
export type ClientErrorCode = "network_error" | "invalid_response";
export type BaseKVErrorCode = ApiErrorCode | ClientErrorCode;

export type ErrorEnvelope = {
  error: { code: ApiErrorCode; message: string; requestId: string; details: Record<string, unknown> };
};

// ——— guardrail headers ———
export type GuardrailMode = "normal" | "degraded" | "stopped";

/** What the standard response headers said (API.md "Headers on every authenticated response"). */
export type Guardrail = {
  /** `X-Guardrail-Mode`; null when the response had none (e.g. a 401). */
  mode: GuardrailMode | null;
  /** `RateLimit-Limit` — the workspace's daily request budget; null when unlimited. */
  limit: number | null;
  /** `RateLimit-Remaining`; null when unlimited. */
  remaining: number | null;
  /** `RateLimit-Reset` — seconds until the budget resets; null when unlimited. */
  resetSeconds: number | null;
  requestId: string | null;
  correlationId: string | null;
};

/** About the HTTP exchange behind a result. */
export type ResponseMeta = {
  status: number;
  guardrail: Guardrail;
  /** `Idempotent-Replayed: true`: the server replayed the stored first response. */
  replayed: boolean;
  /** `ETag` without quotes as a number: a KV entry's version, or a task's last event seq. */
  etag: number | null;
  /** The Idempotency-Key the call was sent with (mutating calls). */
  idempotencyKey: string | null;
  /** How many HTTP requests the call took (1 + retries). */
  attempts: number;
};

/** Every result carries `$meta` as a non-enumerable property: JSON and equality see only the API's body. */
export type WithMeta<T> = T & { readonly $meta: ResponseMeta };

// ——— policy ———
export type Access = "read" | "write" | "readwrite";
export type Limit = { limit: number | null; used: number; remaining: number | null; resetAt: string };
export type Policy = {
  identity: { id: string; name: string; workflowClass: string };
  workspace: { id: string; slug: string };
  grants: { namespace: string; access: Access }[];
  mode: GuardrailMode;
  message: string | null;
  limits: { requests: Limit; writes: Limit };
  retryPolicy: {
    maxAttempts: number;
    initialIntervalMs: number;
    backoffCoefficient: number;
    maxIntervalMs: number;
    nonRetryableErrors: string[];
  };
  credential: { id: string; expiresAt: string };
};

// ——— KV ———
export type KvEntry<V = Json> = {
  namespace: string;
  key: string;
  value: V;
  version: number;
  expiresAt: string | null;
  updatedAt: string;
};
export type KvPutResult = { namespace: string; key: string; version: number; expiresAt: string | null };
export type KvDeleteResult = { namespace: string; key: string; deleted: true; version: number };
export type KvListItem = { key: string; version: number; expiresAt: string | null; updatedAt: string };
export type KvListPage = { items: KvListItem[]; nextCursor: string | null };

// ——— tasks ———
export type TaskStatus = CoreTaskStatus;
/** Event types as recorded (agents', the system's, and operators' — `redriven`, `resolved`, `cancelled`). */
export type RecordedEventType = CoreTaskEventType | "redriven" | "resolved" | "cancelled";
export type TaskCheckpoint = { step: string | null; key: string; value: Json; version: number };
export type TaskEvent = {
  seq: number;
  type: RecordedEventType;
  from: TaskStatus | null;
  to: TaskStatus;
  step: string | null;
  attempt: number;
  actor: { type: string; id: string | null; name: string | null };
  at: string;
  data: Record<string, unknown>;
};
export type TaskSummary = {
  id: string;
  workflowClass: string;
  namespace: string;
  status: TaskStatus;
  attempt: number;
  correlationId: string;
  retryAt: string | null;
  input: Json | null;
  output: Json | null;
  lastError: { type: string; message: string } | null;
  checkpoint: TaskCheckpoint | null;
  createdAt: string;
  updatedAt: string;
};
/** `GET /tasks/{id}`: the task with its events. */
export type Task = TaskSummary & { events: TaskEvent[] };
export type TaskListPage = { items: TaskSummary[]; nextCursor: string | null };
