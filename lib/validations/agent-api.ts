import { z } from "zod";
import type { ErrorCode } from "@/lib/core/errors";
import { ACTION_EFFECTS } from "@/lib/core/action-rules";
import { ACCESS_LEVELS } from "@/lib/core/grants";
import { TASK_STATUSES } from "@/lib/core/tasks";
import { jsonValueSchema } from "./common";

/**
 * What the agent API answers (API.md), as zod schemas. The OpenAPI document
 * is generated from these and from the request schemas the routes parse
 * (kv.ts, tasks.ts); the handlers' bodies are checked against them — by type
 * where a handler is typed (`satisfies`), and at run time by the integration
 * and end-to-end suites, which validate every response against the document.
 * Objects are strict so that a field added to a handler but not here fails.
 */

const isoTime = z.iso.datetime().describe("ISO-8601 UTC time");
const seq = z.number().int().min(0);

// ——— errors ———

/** The codes API.md lists; their statuses come from ERROR_STATUS (lib/core/errors.ts). */
export const AGENT_ERROR_CODES = [
  "invalid_request",
  "unauthorized",
  "forbidden_namespace",
  "action_denied",
  "not_found",
  "method_not_allowed",
  "invalid_transition",
  "idempotency_in_progress",
  "version_conflict",
  "payload_too_large",
  "validation_failed",
  "idempotency_key_reused",
  "ttl_exceeds_policy",
  "budget_exhausted",
  "write_ceiling_reached",
  "degraded_low_priority",
  "action_rate_limited",
  "spend_budget_exhausted",
  "internal",
] as const satisfies readonly ErrorCode[];
export type AgentErrorCode = (typeof AGENT_ERROR_CODES)[number];

/** When each code is answered (API.md, "Errors"); shown in the document and the reference page. */
export const ERROR_DESCRIPTIONS: Record<AgentErrorCode, string> = {
  invalid_request: "Malformed JSON, a bad header, a bad path or query parameter.",
  unauthorized: "Missing, malformed, unknown, expired or revoked key, or a disabled identity.",
  forbidden_namespace: "No grant for this namespace at this access level (reveals nothing about the namespace).",
  action_denied:
    "A rule (or the workspace's default) denies this action; the message is the rule's (`details.rule`, `details.actionId`: the denied action is kept).",
  not_found: "No such namespace, key, task or action (or it expired).",
  method_not_allowed: "The path does not serve this method; `Allow` (and `details.allowed`) lists the methods it does.",
  invalid_transition:
    "The task's (or the action's) state machine refuses this event (`details.from`, `details.event`).",
  idempotency_in_progress: "A request with the same Idempotency-Key is still running.",
  version_conflict: "If-Match / If-None-Match failed (`details.currentVersion`, null if absent).",
  payload_too_large: "A value above 256 KiB, or a body above 1 MiB.",
  validation_failed: "The body fails the schema (`details.issues`).",
  idempotency_key_reused: "The same Idempotency-Key with a different request.",
  ttl_exceeds_policy: "The requested TTL is above the namespace's maximum.",
  budget_exhausted:
    "The workspace's daily request limit is reached, or the kill switch is on (`message` is the admin's stop message; `details.resetAt`).",
  write_ceiling_reached: "This credential's daily write ceiling is reached.",
  degraded_low_priority:
    "The workspace (or, for an action, one of its spend budgets) is degraded and the call carried `X-Priority: low`.",
  action_rate_limited:
    "The deciding rule's rate limit for this identity is reached (`details.rule`, `details.by`, `details.resetAt`, `Retry-After`).",
  spend_budget_exhausted:
    "The action's estimate does not fit a spend budget (`details.budget`, `details.remaining`, `details.resetAt`, `Retry-After`); nothing is reserved.",
  internal: "Anything else; no internals leak.",
};

export function errorEnvelopeSchema(codes: readonly AgentErrorCode[] = AGENT_ERROR_CODES) {
  return z.strictObject({
    error: z.strictObject({
      code: z.enum(codes as [AgentErrorCode, ...AgentErrorCode[]]),
      message: z.string(),
      requestId: z.string().describe("The response's X-Request-Id"),
      details: z.record(z.string(), jsonValueSchema),
    }),
  });
}
export type ErrorEnvelope = z.infer<ReturnType<typeof errorEnvelopeSchema>>;

// ——— GET /policy ———

const limitSchema = z.strictObject({
  limit: z.number().int().nullable().describe("null when unlimited"),
  used: z.number().int().min(0),
  remaining: z.number().int().min(0).nullable().describe("null when unlimited"),
  resetAt: isoTime,
});

const spendFiguresSchema = z.strictObject({
  limit: z.number().min(0).nullable().describe("null when unlimited"),
  spent: z.number().min(0),
  reserved: z.number().min(0),
  remaining: z.number().min(0).nullable().describe("null when unlimited; 0 past the limit (an overrun)"),
  resetAt: isoTime,
});
const dailyUsdSchema = z.strictObject({ usd: z.strictObject({ daily: spendFiguresSchema }) });
const spendLimitsSchema = z
  .strictObject({
    usd: z.strictObject({ daily: spendFiguresSchema, monthly: spendFiguresSchema }),
    tokens: z.strictObject({ daily: spendFiguresSchema }),
    class: dailyUsdSchema,
    credential: dailyUsdSchema,
  })
  .describe("Spend budgets: USD (decimal numbers, at most 6 decimals) and tokens; the workspace's, the caller's class's and key's");

export const guardrailModeSchema = z.enum(["normal", "degraded", "stopped"]);

export const policyResponseSchema = z.strictObject({
  identity: z.strictObject({ id: z.string(), name: z.string(), workflowClass: z.string() }),
  workspace: z.strictObject({ id: z.string(), slug: z.string() }),
  grants: z.array(z.strictObject({ namespace: z.string(), access: z.enum(ACCESS_LEVELS) })),
  mode: guardrailModeSchema,
  message: z.string().nullable().describe("The admin's stop message when stopped"),
  limits: z.strictObject({ requests: limitSchema, writes: limitSchema, spend: spendLimitsSchema }),
  retryPolicy: z.strictObject({
    maxAttempts: z.number().int().min(1),
    initialIntervalMs: z.number().int().min(1),
    backoffCoefficient: z.number().min(1),
    maxIntervalMs: z.number().int().min(1),
    nonRetryableErrors: z.array(z.string()),
  }),
  credential: z.strictObject({ id: z.string(), expiresAt: isoTime }),
  actions: z
    .strictObject({
      defaultEffect: z.enum(ACTION_EFFECTS),
      rules: z.array(
        z.strictObject({
          name: z.string(),
          action: z.string(),
          effect: z.enum(ACTION_EFFECTS),
          minEstimateUsd: z.number().nullable(),
          maxEstimateUsd: z.number().nullable(),
          requiredApprovals: z.number().int().min(1).max(2),
        }),
      ),
    })
    .describe("The enforce rules that apply to the caller's workflow class, in order, and what decides when none matches"),
});
export type PolicyResponse = z.infer<typeof policyResponseSchema>;

// ——— KV ———

export const kvEntryResponseSchema = z.strictObject({
  namespace: z.string(),
  key: z.string(),
  value: jsonValueSchema,
  version: z.number().int().min(1),
  expiresAt: isoTime.nullable(),
  updatedAt: isoTime,
});
export type KvEntryResponse = z.infer<typeof kvEntryResponseSchema>;

export const kvPutResponseSchema = z.strictObject({
  namespace: z.string(),
  key: z.string(),
  version: z.number().int().min(1),
  expiresAt: isoTime.nullable(),
});
export type KvPutResponse = z.infer<typeof kvPutResponseSchema>;

export const kvDeleteResponseSchema = z.strictObject({
  namespace: z.string(),
  key: z.string(),
  deleted: z.literal(true),
  version: z.number().int().min(1).describe("The last version"),
});
export type KvDeleteResponse = z.infer<typeof kvDeleteResponseSchema>;

export const kvListResponseSchema = z.strictObject({
  items: z.array(
    z.strictObject({
      key: z.string(),
      version: z.number().int().min(1),
      expiresAt: isoTime.nullable(),
      updatedAt: isoTime,
    }),
  ),
  nextCursor: z.string().nullable().describe("Pass as `cursor` for the next page; null on the last"),
});
export type KvListResponse = z.infer<typeof kvListResponseSchema>;

// ——— tasks ———

export const taskStatusSchema = z.enum(TASK_STATUSES);

export const taskEventResponseSchema = z.strictObject({
  seq: seq.describe("1, 2, 3… gapless per task"),
  type: z
    .string()
    .describe("accepted, started, step_completed, step_failed, committed, escalate, timeout, redrive, resolve, cancel"),
  from: taskStatusSchema.nullable(),
  to: taskStatusSchema,
  step: z.string().nullable(),
  attempt: z.number().int().min(0),
  actor: z.strictObject({
    type: z.enum(["user", "identity", "cli", "system"]),
    id: z.string().nullable(),
    name: z.string().nullable(),
  }),
  at: isoTime,
  data: jsonValueSchema,
});

export const taskResponseSchema = z.strictObject({
  id: z.string(),
  workflowClass: z.string(),
  namespace: z.string(),
  status: taskStatusSchema,
  attempt: z.number().int().min(0),
  correlationId: z.string(),
  retryAt: isoTime.nullable(),
  input: jsonValueSchema,
  output: jsonValueSchema,
  lastError: z.strictObject({ type: z.string(), message: z.string(), retryable: z.boolean().optional() }).nullable(),
  checkpoint: z
    .strictObject({ step: z.string().nullable(), key: z.string(), value: jsonValueSchema, version: z.number().int() })
    .nullable(),
  createdAt: isoTime,
  updatedAt: isoTime,
});
export type TaskResponse = z.infer<typeof taskResponseSchema>;

export const taskWithEventsResponseSchema = taskResponseSchema.extend({ events: z.array(taskEventResponseSchema) });
export type TaskWithEventsResponse = z.infer<typeof taskWithEventsResponseSchema>;

export const taskListResponseSchema = z.strictObject({
  items: z.array(taskResponseSchema),
  nextCursor: z.string().nullable(),
});
export type TaskListResponse = z.infer<typeof taskListResponseSchema>;

// ——— outside /api/v1 ———

export const healthResponseSchema = z.strictObject({
  status: z.enum(["ok", "error"]),
  database: z.enum(["ok", "down"]),
  auditSigningKey: z
    .strictObject({
      keyId: z.string().meta({ description: "The key's id: the first 16 hex digits of the SHA-256 of the raw public key." }),
      publicKey: z.string().meta({ description: "Raw Ed25519 public key, base64url: pin it to verify audit checkpoints." }),
    })
    .nullable()
    .meta({ description: "The key that signs the audit trail's checkpoints (null when none is configured)." }),
});

// ——— headers and query parameters (the wrapper and handlers parse these by hand; same limits) ———

const printable = (max: number) =>
  z
    .string()
    .min(1)
    .max(max)
    .regex(/^[\x20-\x7e]+$/);

export const requestHeaderSchemas = {
  idempotencyKey: printable(255),
  correlationId: printable(128),
  reason: z.string().max(500),
  priority: z.enum(["low", "normal"]),
  ifMatch: z.string().regex(/^(?:"[0-9]+"|[0-9]+)$/),
  ifNoneMatch: z.literal("*"),
};

export const queryParameterSchemas = {
  limit: z.number().int().min(1).max(1000).default(100),
  prefix: z.string().max(512),
  cursor: z.string(),
  taskStatus: taskStatusSchema,
  due: z.enum(["true", "false"]),
};
