/**
 * The BaseKV Guardrails agent SDK: a typed client for `/api/v1` (API.md) with
 * retries that never write twice, a workflow runner over the task API, and
 * `guard` — ask before acting, wait for people, report the outcome.
 * No runtime dependencies beyond the platform's `fetch` and `crypto`.
 */
export { BaseKV, KvApi, TasksApi } from "./client";
export { ActionsApi, DEFAULT_DECISION_TIMEOUT_SECONDS, guard } from "./actions";
export type { GuardFunction, GuardOptions, GuardOutcome, GuardResult, WaitOptions } from "./actions";
export type {
  BaseKVOptions,
  CallOptions,
  DeleteOptions,
  EventOptions,
  FetchLike,
  ListOptions,
  PutOptions,
  RetryInfo,
  Sleep,
  TaskListOptions,
} from "./client";
export { API_ERROR_CODES, BaseKVError, isBaseKVError } from "./errors";
export { encodeReason, parseEtag, parseGuardrail } from "./headers";
export { backoffDelayMs, DEFAULT_RETRY, parseRetryAfter, retryDecision } from "./retry";
export type { RetryOptions } from "./retry";
export { classifyError, EscalateTask, isRunnerCheckpoint, runTask, StepError } from "./run-task";
export type { RunEvent, RunnerCheckpoint, RunTaskOptions, RunTaskResult, Step, StepContext } from "./run-task";
export type * from "./types";
