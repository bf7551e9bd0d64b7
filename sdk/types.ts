/**
 * The agent API's shapes as the SDK sees them (../shared/API.md), inferred
 * from the very zod schemas the server parses requests with and documents its
 * responses with (lib/validations: kv.ts, tasks.ts, agent-api.ts — the source
 * of the OpenAPI document). `import type` only: the SDK bundles nothing of zod.
 */
import type { z } from "zod";
import type { SpendBudget as CoreSpendBudget } from "@/lib/core/spend";
import type { TaskStatus as CoreTaskStatus, TaskEventType as CoreTaskEventType } from "@/lib/core/tasks";
import type {
  AgentErrorCode,
  guardrailModeSchema,
  kvDeleteResponseSchema,
  kvEntryResponseSchema,
  kvListResponseSchema,
  kvPutResponseSchema,
  policyResponseSchema,
  taskEventResponseSchema,
  taskListResponseSchema,
  taskResponseSchema,
  taskWithEventsResponseSchema,
} from "@/lib/validations/agent-api";
import type { putKvBodySchema } from "@/lib/validations/kv";
import type {
  actionResponseSchema,
  cancelActionBodySchema,
  completeActionBodySchema,
  costSchema,
  requestActionBodySchema,
} from "@/lib/validations/actions";
import type { createTaskBodySchema, taskErrorSchema, taskEventBodySchema } from "@/lib/validations/tasks";

export type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

// ——— request bodies (from the server's schemas) ———
export type PutKvBody = z.input<typeof putKvBodySchema>;
export type CreateTaskBody = z.input<typeof createTaskBodySchema>;
export type TaskEventBody = z.input<typeof taskEventBodySchema>;
export type TaskEventError = z.input<typeof taskErrorSchema>;
export type AgentEventType = TaskEventBody["type"];

// ——— errors ———
/** A code the agent API answers with (API.md "Errors"; lib/validations/agent-api.ts, checked against lib/core/errors.ts). */
export type ApiErrorCode = AgentErrorCode;
/**
 * The SDK's own: the request never got an answer, or the answer was not the API's JSON — or,
 * raised by `guard`, what people decided on an action (see `GuardErrorCode`).
 */
export type ClientErrorCode = "network_error" | "invalid_response" | GuardErrorCode;
/**
 * `guard`'s refusals after a request was accepted: a person rejected it, its approval deadline
 * passed, someone cancelled it, it was already settled (a replayed request), or no decision came
 * within `timeoutSeconds` (the action is then cancelled). A denial is the API's `action_denied`.
 */
export type GuardErrorCode =
  "action_rejected" | "action_expired" | "action_cancelled" | "action_settled" | "approval_timeout";
export type BaseKVErrorCode = ApiErrorCode | ClientErrorCode;

/** A spend budget (API.md "Spend budgets"), as `details.budget` of `spend_budget_exhausted` names it. */
export type SpendBudget = CoreSpendBudget;

/**
 * `details` of a 429 `spend_budget_exhausted`: the first budget the estimate does not fit, what is
 * left of it (USD, or tokens for `workspace.daily_tokens`) and when it resets (ISO-8601). Nothing
 * was reserved; the error's `retryAfter` is the seconds until `resetAt`.
 */
export type SpendBudgetExhaustedDetails = { budget: SpendBudget; remaining: number; resetAt: string };

/** The `details` a code is known to carry; `isBaseKVError(e, code)` narrows `e.details` to it. */
export type ErrorDetailsByCode = { spend_budget_exhausted: SpendBudgetExhaustedDetails };

export type ErrorEnvelope = {
  error: { code: ApiErrorCode; message: string; requestId: string; details: Record<string, unknown> };
};

// ——— guardrail headers ———
export type GuardrailMode = z.infer<typeof guardrailModeSchema>;

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

// ——— responses ———
export type Policy = z.infer<typeof policyResponseSchema>;
export type Access = Policy["grants"][number]["access"];
export type Limit = Policy["limits"]["requests"];

/** `GET /kv/{namespace}/{key}`; `V` narrows the value's type for the caller (unchecked). */
export type KvEntry<V = Json> = Omit<z.infer<typeof kvEntryResponseSchema>, "value"> & { value: V };
export type KvPutResult = z.infer<typeof kvPutResponseSchema>;
export type KvDeleteResult = z.infer<typeof kvDeleteResponseSchema>;
export type KvListPage = z.infer<typeof kvListResponseSchema>;
export type KvListItem = KvListPage["items"][number];

export type TaskStatus = CoreTaskStatus;
/** Event types as recorded (agents', the system's, and operators' — `redriven`, `resolved`, `cancelled`). */
export type RecordedEventType = CoreTaskEventType | "redriven" | "resolved" | "cancelled";
/** One event of `GET /tasks/{id}`; `type` is typed as what the server records. */
export type TaskEvent = Omit<z.infer<typeof taskEventResponseSchema>, "type"> & { type: RecordedEventType };
/** A task as `POST /tasks`, `POST /tasks/{id}/events` and `GET /tasks` return it (no events). */
export type TaskSummary = z.infer<typeof taskResponseSchema>;
export type TaskCheckpoint = NonNullable<TaskSummary["checkpoint"]>;
/** `GET /tasks/{id}`: the task with its events. */
export type Task = Omit<z.infer<typeof taskWithEventsResponseSchema>, "events"> & { events: TaskEvent[] };
export type TaskListPage = z.infer<typeof taskListResponseSchema>;

// ——— actions (API.md "Actions — ask before acting") ———
export type RequestActionBody = z.input<typeof requestActionBodySchema>;
export type CompleteActionBody = z.input<typeof completeActionBodySchema>;
export type CancelActionBody = z.input<typeof cancelActionBodySchema>;
/** An estimate or an actual: `usd` ≥ 0 with at most 6 decimals, `tokens` a whole number ≥ 0. */
export type ActionCost = z.input<typeof costSchema>;
/** The action as every actions endpoint answers it; use `approvedArguments` when set (an approver's edit). */
export type Action = z.infer<typeof actionResponseSchema>;
export type ActionStatus = Action["status"];
export type ActionApproval = Action["approvals"][number];
