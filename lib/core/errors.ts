/**
 * The one error type of the product. Services throw it with a code; the agent
 * API wrapper maps the code to an HTTP status and the error envelope of API.md,
 * and server actions turn it into a form message. Anything that is not an
 * AppError is an internal error and its message is never shown.
 */
export const ERROR_STATUS = {
  invalid_request: 400,
  unauthorized: 401,
  forbidden: 403,
  forbidden_namespace: 403,
  action_denied: 403,
  not_found: 404,
  method_not_allowed: 405,
  conflict: 409,
  invalid_transition: 409,
  idempotency_in_progress: 409,
  last_admin: 409,
  already_exists: 409,
  already_approved: 409,
  version_conflict: 412,
  payload_too_large: 413,
  validation_failed: 422,
  idempotency_key_reused: 422,
  ttl_exceeds_policy: 422,
  reason_required: 422,
  locked: 429,
  budget_exhausted: 429,
  write_ceiling_reached: 429,
  degraded_low_priority: 429,
  action_rate_limited: 429,
  spend_budget_exhausted: 429,
  internal: 500,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, details?: Record<string, unknown>) {
    super(message);
    this.name = "AppError";
    this.code = code;
    this.details = details;
  }

  get status(): number {
    return ERROR_STATUS[this.code];
  }
}

export function isAppError(error: unknown): error is AppError {
  return error instanceof AppError;
}

/** Refusals that end at a known time: they say when (`Retry-After`, from `details.resetAt`). */
export const RETRY_AFTER_CODES: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  "budget_exhausted",
  "write_ceiling_reached",
  "action_rate_limited",
  "spend_budget_exhausted",
]);
