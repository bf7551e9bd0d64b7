import type { BaseKV, Sleep } from "./client";
import { BaseKVError, isBaseKVError } from "./errors";
import type { Json, TaskCheckpoint, TaskStatus, TaskSummary, WithMeta } from "./types";

/**
 * A workflow runner over the task API (API.md "POST /tasks/{id}/events"):
 *
 * - `started` (from `accepted`, or from `retry_scheduled` once due — waiting for
 *   it if `waitForRetry`), then each step in order, heartbeating while it runs;
 * - after each step, `step_completed` with a checkpoint holding every finished
 *   step's result — the server stores it in KV at `checkpoint/<taskId>` and
 *   returns it as `task.checkpoint`, so a later run (another process, after a
 *   crash, after a retry or an operator's redrive) skips the steps already done;
 * - a step that throws → `step_failed` with the error's type, so the class's
 *   retry policy and non-retryable list decide between `retry_scheduled` and
 *   `dead_lettered`; `EscalateTask` → `escalate` (`awaiting_human`);
 * - all steps done → `committed` with the output.
 *
 * Every event carries `If-Match` on the task's last event seq: if anything else
 * moved the task (the server's heartbeat timeout, another worker, an operator),
 * the runner does not act on a stale view — it reloads the task and goes by its
 * status again.
 */

export type StepContext = {
  /** The task as of when the step started. */
  task: TaskSummary;
  /** The task's attempt (1 for the first run). */
  attempt: number;
  /** Results of the steps finished so far, this run or a previous one. */
  results: Readonly<Record<string, Json>>;
  /** Aborted when the runner is aborted or loses the task (a heartbeat refused); stop early when it fires. */
  signal: AbortSignal;
};

export type Step = {
  /** Unique within the workflow; recorded as the event's `step`. */
  name: string;
  /** Returns the step's result (JSON; stored in the checkpoint, ≤ 256 KiB for all results together). */
  run: (ctx: StepContext) => Promise<Json | void> | Json | void;
};

/** Throw from a step to fail it with this error type (matched against the class's `nonRetryableErrors`). */
export class StepError extends Error {
  readonly type: string;
  readonly retryable: boolean | undefined;
  constructor(type: string, message: string, options: { retryable?: boolean; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "StepError";
    this.type = type;
    this.retryable = options.retryable;
  }
}

/** Throw from a step to hand the task to a person (`escalate` → `awaiting_human`). */
export class EscalateTask extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = "EscalateTask";
  }
}

export type RunEvent =
  | { type: "started"; attempt: number; resumedAfter: string | null }
  | { type: "adopted"; attempt: number; resumedAfter: string | null }
  | { type: "step_skipped"; step: string }
  | { type: "step_started"; step: string }
  | { type: "heartbeat"; step: string; ok: boolean }
  | { type: "step_completed"; step: string }
  | { type: "step_failed"; step: string; error: { type: string; message: string }; status: TaskStatus }
  | { type: "waiting"; until: string; ms: number }
  | { type: "reloaded"; status: TaskStatus; why: string }
  | { type: "finished"; status: TaskStatus };

export type RunTaskOptions = {
  /** Heartbeat period while a step runs; keep it well under the class's heartbeat timeout (default 30 000; 0: none). */
  heartbeatIntervalMs?: number;
  /** The `committed` output from the steps' results (default: the results object). */
  output?: (results: Readonly<Record<string, Json>>) => Json;
  /** `retry_scheduled`: wait in-process until due and run again (default true), or return at once. */
  waitForRetry?: boolean;
  /** Return instead of waiting when the retry is further away than this (default: always wait). */
  maxRetryWaitMs?: number;
  /**
   * A task already `running` is someone else's, so the runner returns it as is —
   * unless this process knows it is its own (it crashed mid-run and kept the
   * task id): then it adopts the task and resumes from the checkpoint without
   * waiting for the server's heartbeat timeout (default false).
   */
  resumeRunning?: boolean;
  /** Classify a step's error for `step_failed` (default: see `classifyError`). */
  classifyError?: (error: unknown) => { type: string; message: string; retryable?: boolean };
  /** Aborting stops the runner where it is, reporting nothing — as a crash would. */
  signal?: AbortSignal;
  /** How to wait for a retry (default: the client's sleep). */
  sleep?: Sleep;
  /** Progress, for logs. */
  onEvent?: (event: RunEvent) => void;
};

export type RunTaskResult =
  | { status: "committed"; task: TaskSummary; output: Json | null }
  | { status: "retry_scheduled"; task: TaskSummary; retryAt: string }
  | { status: "dead_lettered" | "awaiting_human" | "cancelled"; task: TaskSummary }
  /** Running elsewhere (see `resumeRunning`). */
  | { status: "running"; task: TaskSummary };

/** What the runner writes as the checkpoint value. */
export type RunnerCheckpoint = { runTask: 1; completed: string[]; results: Record<string, Json> };

export function isRunnerCheckpoint(value: unknown): value is RunnerCheckpoint {
  if (value === null || typeof value !== "object") return false;
  const v = value as Record<string, unknown>;
  return (
    v.runTask === 1 &&
    Array.isArray(v.completed) &&
    v.completed.every((s) => typeof s === "string") &&
    v.results !== null &&
    typeof v.results === "object" &&
    !Array.isArray(v.results)
  );
}

const NON_RETRYABLE_STATUSES = new Set([400, 401, 403, 404, 413, 422]);

/**
 * `StepError` → its type; `BaseKVError` → its API code (not retryable when the
 * request itself was refused: 400/401/403/404/413/422); any other error → its
 * `name` ("TypeError", …; plain `Error` → "error").
 */
export function classifyError(error: unknown): { type: string; message: string; retryable?: boolean } {
  const message = (error instanceof Error ? error.message : String(error)).slice(0, 2000);
  if (error instanceof StepError) return { type: error.type, message, retryable: error.retryable };
  if (error instanceof BaseKVError)
    return { type: error.code, message, retryable: !NON_RETRYABLE_STATUSES.has(error.status) };
  const name = error instanceof Error && error.name && error.name !== "Error" ? error.name : "error";
  return { type: name, message };
}

function errorForEvent(e: { type: string; message: string; retryable?: boolean }) {
  const type = e.type.slice(0, 64) || "error";
  const message = e.message.slice(0, 2000);
  return e.retryable === undefined ? { type, message } : { type, message, retryable: e.retryable };
}

/** Conflicts that mean "the task moved under us": reload and go by its status again. */
const isMoved = (error: unknown) =>
  isBaseKVError(error, "version_conflict") || isBaseKVError(error, "invalid_transition");

export async function runTask(
  client: BaseKV,
  task: string | { id: string },
  steps: readonly Step[],
  options: RunTaskOptions = {},
): Promise<RunTaskResult> {
  const taskId = typeof task === "string" ? task : task.id;
  const names = new Set<string>();
  for (const step of steps) {
    if (!step.name) throw new TypeError("runTask: every step needs a name");
    if (names.has(step.name)) throw new TypeError(`runTask: duplicate step name "${step.name}"`);
    names.add(step.name);
  }
  const sleep = options.sleep ?? ((ms: number, signal?: AbortSignal) => client.sleep(ms, signal));
  const emit = (event: RunEvent) => options.onEvent?.(event);
  const signal = options.signal;
  const waitForRetry = options.waitForRetry ?? true;
  const call = { signal };

  let current: WithMeta<TaskSummary> = await client.tasks.get(taskId, call);
  for (;;) {
    signal?.throwIfAborted();
    const seq = current.$meta.etag ?? undefined;
    let running: WithMeta<TaskSummary>;
    switch (current.status) {
      case "committed":
        emit({ type: "finished", status: "committed" });
        return { status: "committed", task: current, output: current.output };
      case "dead_lettered":
      case "awaiting_human":
      case "cancelled":
        emit({ type: "finished", status: current.status });
        return { status: current.status, task: current };
      case "running":
        if (!options.resumeRunning) return { status: "running", task: current };
        running = current;
        emit({ type: "adopted", attempt: current.attempt, resumedAfter: current.checkpoint?.step ?? null });
        break;
      case "retry_scheduled":
      case "accepted": {
        if (current.status === "retry_scheduled") {
          const retryAt = current.retryAt ?? new Date().toISOString();
          const ms = Date.parse(retryAt) - Date.now();
          if (ms > 0) {
            if (!waitForRetry || ms > (options.maxRetryWaitMs ?? Infinity)) {
              emit({ type: "finished", status: "retry_scheduled" });
              return { status: "retry_scheduled", task: current, retryAt };
            }
            emit({ type: "waiting", until: retryAt, ms });
            await sleep(ms, signal);
          }
        }
        try {
          running = await client.tasks.event(taskId, { type: "started" }, { ...call, ifSeq: seq });
        } catch (error) {
          if (!isMoved(error)) throw error;
          // Not due yet by the server's clock, or someone else started it: look again.
          const retryAt = (error as BaseKVError).details.retryAt;
          if (typeof retryAt === "string") await sleep(Math.max(50, Date.parse(retryAt) - Date.now()), signal);
          current = await reload(client, taskId, call, emit, (error as BaseKVError).code);
          continue;
        }
        emit({ type: "started", attempt: running.attempt, resumedAfter: running.checkpoint?.step ?? null });
        break;
      }
    }

    const next = await runSteps(client, running, steps, options, emit);
    if (next.kind === "result") return next.result;
    current = next.task;
    // Without waitForRetry, a failure of this run ends it, even if the retry happens to be due already.
    if (next.kind === "failed" && !waitForRetry && current.status === "retry_scheduled") {
      emit({ type: "finished", status: "retry_scheduled" });
      return { status: "retry_scheduled", task: current, retryAt: current.retryAt ?? new Date().toISOString() };
    }
  }
}

async function reload(
  client: BaseKV,
  taskId: string,
  call: { signal?: AbortSignal },
  emit: (event: RunEvent) => void,
  why: string,
): Promise<WithMeta<TaskSummary>> {
  const task = await client.tasks.get(taskId, call);
  emit({ type: "reloaded", status: task.status, why });
  return task;
}

function resumeState(checkpoint: TaskCheckpoint | null): RunnerCheckpoint {
  if (!checkpoint) return { runTask: 1, completed: [], results: {} };
  if (!isRunnerCheckpoint(checkpoint.value)) {
    throw new TypeError(
      `runTask: the task's checkpoint (${checkpoint.key}) was not written by runTask; refusing to guess which steps are done`,
    );
  }
  return { runTask: 1, completed: [...checkpoint.value.completed], results: { ...checkpoint.value.results } };
}

/** Runs the steps of a running task; returns a final result, or the reloaded task when it moved under us. */
async function runSteps(
  client: BaseKV,
  running: WithMeta<TaskSummary>,
  steps: readonly Step[],
  options: RunTaskOptions,
  emit: (event: RunEvent) => void,
): Promise<
  | { kind: "result"; result: RunTaskResult }
  | { kind: "moved"; task: WithMeta<TaskSummary> }
  | { kind: "failed"; task: WithMeta<TaskSummary> }
> {
  const taskId = running.id;
  const signal = options.signal;
  const call = { signal };
  const state = resumeState(running.checkpoint);
  let seq = running.$meta.etag ?? undefined;
  let task: TaskSummary = running;
  const moved = async (error: unknown) => {
    if (!isMoved(error)) throw error;
    return { kind: "moved" as const, task: await reload(client, taskId, call, emit, (error as BaseKVError).code) };
  };

  for (const step of steps) {
    if (state.completed.includes(step.name)) {
      emit({ type: "step_skipped", step: step.name });
      continue;
    }
    signal?.throwIfAborted();
    emit({ type: "step_started", step: step.name });
    const outcome = await runOneStep(client, task, step, state, seq, options, emit);
    // An abort is a crash: report nothing, leave the task as it is.
    signal?.throwIfAborted();
    if (outcome.kind === "lost") return moved(outcome.error);

    if (outcome.kind === "ok") {
      state.completed.push(step.name);
      state.results[step.name] = outcome.value;
      try {
        const after = await client.tasks.event(
          taskId,
          { type: "step_completed", step: step.name, checkpoint: state },
          { ...call, ifSeq: seq },
        );
        task = after;
        seq = after.$meta.etag ?? undefined;
      } catch (error) {
        return moved(error);
      }
      emit({ type: "step_completed", step: step.name });
      continue;
    }

    if (outcome.error instanceof EscalateTask) {
      try {
        const after = await client.tasks.event(
          taskId,
          { type: "escalate", step: step.name, reason: outcome.error.reason.slice(0, 500) || "escalated" },
          { ...call, ifSeq: seq },
        );
        emit({ type: "finished", status: after.status });
        return { kind: "result", result: { status: "awaiting_human", task: after } };
      } catch (error) {
        return moved(error);
      }
    }

    const error = errorForEvent((options.classifyError ?? classifyError)(outcome.error));
    let after: WithMeta<TaskSummary>;
    try {
      after = await client.tasks.event(
        taskId,
        { type: "step_failed", step: step.name, error },
        { ...call, ifSeq: seq },
      );
    } catch (e) {
      return moved(e);
    }
    emit({ type: "step_failed", step: step.name, error, status: after.status });
    // retry_scheduled or dead_lettered: the caller's loop goes by the status.
    return { kind: "failed", task: after };
  }

  const output = options.output ? options.output(state.results) : state.results;
  try {
    const committed = await client.tasks.event(taskId, { type: "committed", output }, { ...call, ifSeq: seq });
    emit({ type: "finished", status: "committed" });
    return { kind: "result", result: { status: "committed", task: committed, output: committed.output } };
  } catch (error) {
    return moved(error);
  }
}

async function runOneStep(
  client: BaseKV,
  task: TaskSummary,
  step: Step,
  state: RunnerCheckpoint,
  seq: number | undefined,
  options: RunTaskOptions,
  emit: (event: RunEvent) => void,
): Promise<{ kind: "ok"; value: Json } | { kind: "failed"; error: unknown } | { kind: "lost"; error: BaseKVError }> {
  const controller = new AbortController();
  const outer = options.signal;
  const forward = () => controller.abort(outer!.reason);
  outer?.addEventListener("abort", forward, { once: true });
  // Written by the heartbeat callback, read after the step: a holder, not a narrowed `let`.
  const heartbeat: { lost: BaseKVError | null } = { lost: null };
  let inFlight: Promise<void> = Promise.resolve();
  const interval = options.heartbeatIntervalMs ?? 30_000;
  const timer =
    interval > 0
      ? setInterval(() => {
          inFlight = client.tasks
            .event(task.id, { type: "heartbeat" }, { ifSeq: seq, signal: controller.signal, retry: { maxAttempts: 1 } })
            .then(
              () => emit({ type: "heartbeat", step: step.name, ok: true }),
              (error: unknown) => {
                emit({ type: "heartbeat", step: step.name, ok: false });
                // Refused: the task is no longer ours to run (timed out, taken, cancelled). Anything else is transient.
                if (isMoved(error) || isBaseKVError(error, "not_found")) {
                  heartbeat.lost = error as BaseKVError;
                  controller.abort(error);
                }
              },
            );
        }, interval)
      : null;
  try {
    const value = await step.run({
      task,
      attempt: task.attempt,
      results: state.results,
      signal: controller.signal,
    });
    if (heartbeat.lost) return { kind: "lost", error: heartbeat.lost };
    return { kind: "ok", value: value === undefined ? null : value };
  } catch (error) {
    if (heartbeat.lost) return { kind: "lost", error: heartbeat.lost };
    return { kind: "failed", error };
  } finally {
    if (timer) clearInterval(timer);
    outer?.removeEventListener("abort", forward);
    await inFlight.catch(() => {});
  }
}
