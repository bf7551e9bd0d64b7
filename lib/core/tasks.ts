/**
 * The task state machine (DESIGN.md "Task state machine"). The transition
 * table below is the only authority: services ask `decideEvent` and persist
 * exactly what it returns. Pure: the clock comes in as `now`.
 */
export const TASK_STATUSES = [
  "accepted",
  "running",
  "retry_scheduled",
  "dead_lettered",
  "awaiting_human",
  "committed",
  "cancelled",
] as const;
export type TaskStatus = (typeof TASK_STATUSES)[number];

/** Events agents send (API.md). */
export const AGENT_EVENT_TYPES = [
  "started",
  "heartbeat",
  "step_completed",
  "step_failed",
  "committed",
  "escalate",
] as const;
/** All events: the agents', the system's (heartbeat timeout) and the operators' (escalation queue). */
export const TASK_EVENT_TYPES = [...AGENT_EVENT_TYPES, "timeout", "redrive", "resolve", "cancel"] as const;
export type TaskEventType = (typeof TASK_EVENT_TYPES)[number];

/** `fail` means: retry_scheduled or dead_lettered, decided by the retry policy. */
type Target = TaskStatus | "fail";

export const TRANSITIONS: Record<TaskStatus, Partial<Record<TaskEventType, Target>>> = {
  accepted: { started: "running" },
  running: {
    heartbeat: "running",
    step_completed: "running",
    step_failed: "fail",
    timeout: "fail",
    committed: "committed",
    escalate: "awaiting_human",
  },
  retry_scheduled: { started: "running", escalate: "awaiting_human" },
  dead_lettered: { redrive: "retry_scheduled", resolve: "committed", cancel: "cancelled" },
  awaiting_human: { redrive: "retry_scheduled", resolve: "committed", cancel: "cancelled" },
  committed: {},
  cancelled: {},
};

export const FINAL_STATUSES: readonly TaskStatus[] = ["committed", "cancelled"];

export type RetryPolicy = {
  maxAttempts: number;
  initialIntervalMs: number;
  backoffCoefficient: number;
  maxIntervalMs: number;
  nonRetryableErrors: readonly string[];
};

export type TaskError = { type: string; message: string; retryable?: boolean };

/** Delay before the next attempt after `attempt` attempts have run: initial · coefficient^(attempt-1), capped. */
export function retryDelayMs(policy: RetryPolicy, attempt: number): number {
  const raw = policy.initialIntervalMs * Math.pow(policy.backoffCoefficient, Math.max(0, attempt - 1));
  return Math.min(Number.isFinite(raw) ? raw : policy.maxIntervalMs, policy.maxIntervalMs);
}

export type RetryDecision = { retry: true; retryAt: Date } | { retry: false; why: "non_retryable" | "exhausted" };

export function decideRetry(
  policy: RetryPolicy,
  input: { attempt: number; maxAttempts: number; error: TaskError; now: Date },
): RetryDecision {
  const retryable = (input.error.retryable ?? true) && !policy.nonRetryableErrors.includes(input.error.type);
  if (!retryable) return { retry: false, why: "non_retryable" };
  if (input.attempt >= input.maxAttempts) return { retry: false, why: "exhausted" };
  return { retry: true, retryAt: new Date(input.now.getTime() + retryDelayMs(policy, input.attempt)) };
}

export type TaskState = { status: TaskStatus; attempt: number; maxAttempts: number; retryAt: Date | null };

export type EventDecision =
  | {
      ok: true;
      to: TaskStatus;
      attempt: number;
      maxAttempts: number;
      retryAt: Date | null;
      /** Heartbeats refresh the clock but are not task events. */
      recordsEvent: boolean;
      escalation: "dead_letter" | "agent_request" | "timeout" | null;
    }
  | { ok: false; code: "invalid_transition"; message: string; details: Record<string, unknown> };

export function decideEvent(
  state: TaskState,
  event: { type: TaskEventType; error?: TaskError },
  policy: RetryPolicy,
  now: Date,
): EventDecision {
  const target = TRANSITIONS[state.status][event.type];
  const refuse = (message: string, extra: Record<string, unknown> = {}): EventDecision => ({
    ok: false,
    code: "invalid_transition",
    message,
    details: { from: state.status, event: event.type, ...extra },
  });
  if (!target) return refuse(`a ${state.status} task does not accept "${event.type}"`);

  const keep = {
    attempt: state.attempt,
    maxAttempts: state.maxAttempts,
    escalation: null,
    recordsEvent: true,
  } as const;
  switch (event.type) {
    case "started":
      if (state.status === "retry_scheduled" && state.retryAt && state.retryAt > now) {
        return refuse(`the retry is not due until ${state.retryAt.toISOString()}`, {
          retryAt: state.retryAt.toISOString(),
        });
      }
      return { ok: true, ...keep, to: "running", attempt: state.attempt + 1, retryAt: null };
    case "heartbeat":
      return { ok: true, ...keep, to: "running", retryAt: null, recordsEvent: false };
    case "step_failed":
    case "timeout": {
      const error =
        event.type === "timeout"
          ? { type: "timeout", message: "no heartbeat within the class's heartbeat timeout" }
          : event.error!;
      const retry = decideRetry(policy, { attempt: state.attempt, maxAttempts: state.maxAttempts, error, now });
      return retry.retry
        ? { ok: true, ...keep, to: "retry_scheduled", retryAt: retry.retryAt }
        : {
            ok: true,
            ...keep,
            to: "dead_lettered",
            retryAt: null,
            escalation: event.type === "timeout" ? "timeout" : "dead_letter",
          };
    }
    case "escalate":
      return { ok: true, ...keep, to: "awaiting_human", retryAt: null, escalation: "agent_request" };
    case "redrive":
      // Due now, with a fresh allowance of maxAttempts attempts on top of those already made.
      return {
        ok: true,
        ...keep,
        to: "retry_scheduled",
        retryAt: now,
        maxAttempts: state.attempt + policy.maxAttempts,
      };
    default:
      return { ok: true, ...keep, to: target as TaskStatus, retryAt: null };
  }
}
