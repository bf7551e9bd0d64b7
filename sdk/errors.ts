import type { ApiErrorCode, BaseKVErrorCode, ErrorDetailsByCode, Guardrail } from "./types";

/**
 * Every failure the SDK raises. `code` is the API's (API.md "Errors") or the
 * SDK's own `network_error` / `invalid_response`; narrow on it:
 *
 *   if (isBaseKVError(e, "version_conflict")) e.details.currentVersion
 *   if (isBaseKVError(e, "spend_budget_exhausted")) e.details.budget // typed: ErrorDetailsByCode
 */
export class BaseKVError extends Error {
  readonly code: BaseKVErrorCode;
  /** HTTP status; 0 when no response arrived (`network_error`) and for `guard`'s own codes (`action_rejected`, …). */
  readonly status: number;
  readonly requestId: string | null;
  readonly details: Record<string, unknown>;
  /** Seconds from `Retry-After` (429 budget errors, some 5xx); null when absent. */
  readonly retryAfter: number | null;
  /** Headers of the failed response, when there was one. */
  readonly guardrail: Guardrail | null;
  /** How many HTTP requests were made before giving up. */
  readonly attempts: number;

  constructor(init: {
    code: BaseKVErrorCode;
    status: number;
    message: string;
    requestId?: string | null;
    details?: Record<string, unknown>;
    retryAfter?: number | null;
    guardrail?: Guardrail | null;
    attempts?: number;
    cause?: unknown;
  }) {
    super(init.message, init.cause === undefined ? undefined : { cause: init.cause });
    this.name = "BaseKVError";
    this.code = init.code;
    this.status = init.status;
    this.requestId = init.requestId ?? null;
    this.details = init.details ?? {};
    this.retryAfter = init.retryAfter ?? null;
    this.guardrail = init.guardrail ?? null;
    this.attempts = init.attempts ?? 1;
  }

  /** A budget refusal (429): it lasts until `retryAfter` seconds (or, for the kill switch, until an admin acts). */
  get isBudgetError(): boolean {
    return this.status === 429;
  }
}

/** `details` as `code` is known to carry them (`ErrorDetailsByCode`), else the open record. */
export type DetailsOf<C extends BaseKVErrorCode> = [C] extends [keyof ErrorDetailsByCode]
  ? ErrorDetailsByCode[C] & Record<string, unknown>
  : Record<string, unknown>;

export function isBaseKVError<C extends BaseKVErrorCode>(
  error: unknown,
  code?: C,
): error is BaseKVError & { code: C; details: DetailsOf<C> } {
  return error instanceof BaseKVError && (code === undefined || error.code === code);
}

/** The codes API.md defines, for exhaustive handling. */
export const API_ERROR_CODES = [
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
] as const satisfies readonly ApiErrorCode[];
