import { describe, expect, it } from "vitest";
import {
  decideEvent,
  decideRetry,
  retryDelayMs,
  TASK_EVENT_TYPES,
  TASK_STATUSES,
  TRANSITIONS,
  type RetryPolicy,
  type TaskEventType,
  type TaskStatus,
} from "./tasks";

const policy: RetryPolicy = {
  maxAttempts: 3,
  initialIntervalMs: 1000,
  backoffCoefficient: 2,
  maxIntervalMs: 60_000,
  nonRetryableErrors: ["validation"],
};
const now = new Date("2026-11-25T12:00:00Z");
const error = { type: "io", message: "upstream 503" };

/** The whole table, written out as the product promises it (DESIGN.md). */
const ALLOWED: Record<TaskStatus, Partial<Record<TaskEventType, TaskStatus | "retry_scheduled|dead_lettered">>> = {
  accepted: { started: "running" },
  running: {
    heartbeat: "running",
    step_completed: "running",
    step_failed: "retry_scheduled|dead_lettered",
    timeout: "retry_scheduled|dead_lettered",
    committed: "committed",
    escalate: "awaiting_human",
  },
  retry_scheduled: { started: "running", escalate: "awaiting_human" },
  dead_lettered: { redrive: "retry_scheduled", resolve: "committed", cancel: "cancelled" },
  awaiting_human: { redrive: "retry_scheduled", resolve: "committed", cancel: "cancelled" },
  committed: {},
  cancelled: {},
};

describe("every status × every event", () => {
  for (const status of TASK_STATUSES) {
    for (const type of TASK_EVENT_TYPES) {
      const expected = ALLOWED[status][type];
      it(`${status} + ${type} → ${expected ?? "409 invalid_transition"}`, () => {
        const decision = decideEvent(
          { status, attempt: 1, maxAttempts: 3, retryAt: null },
          { type, error },
          policy,
          now,
        );
        if (!expected) {
          expect(decision).toMatchObject({
            ok: false,
            code: "invalid_transition",
            details: { from: status, event: type },
          });
        } else {
          expect(decision.ok).toBe(true);
          if (decision.ok) expect(expected.split("|")).toContain(decision.to);
        }
      });
    }
  }

  it("the table in code is exactly the promised one", () => {
    for (const status of TASK_STATUSES) {
      expect(Object.keys(TRANSITIONS[status]).sort(), status).toEqual(Object.keys(ALLOWED[status]).sort());
    }
  });

  it("final statuses accept nothing", () => {
    for (const type of TASK_EVENT_TYPES) {
      expect(
        decideEvent({ status: "committed", attempt: 1, maxAttempts: 3, retryAt: null }, { type, error }, policy, now)
          .ok,
      ).toBe(false);
      expect(
        decideEvent({ status: "cancelled", attempt: 1, maxAttempts: 3, retryAt: null }, { type, error }, policy, now)
          .ok,
      ).toBe(false);
    }
  });
});

describe("attempts and retries", () => {
  it("started counts an attempt", () => {
    const d = decideEvent(
      { status: "accepted", attempt: 0, maxAttempts: 3, retryAt: null },
      { type: "started" },
      policy,
      now,
    );
    expect(d).toMatchObject({ ok: true, to: "running", attempt: 1 });
  });

  it("started from retry_scheduled only when due", () => {
    const later = new Date(now.getTime() + 5000);
    const early = decideEvent(
      { status: "retry_scheduled", attempt: 1, maxAttempts: 3, retryAt: later },
      { type: "started" },
      policy,
      now,
    );
    expect(early).toMatchObject({ ok: false, code: "invalid_transition", details: { retryAt: later.toISOString() } });
    const due = decideEvent(
      { status: "retry_scheduled", attempt: 1, maxAttempts: 3, retryAt: now },
      { type: "started" },
      policy,
      now,
    );
    expect(due).toMatchObject({ ok: true, to: "running", attempt: 2 });
  });

  it("retryAt = now + min(initial · coefficient^(attempt-1), max)", () => {
    expect([1, 2, 3, 4, 10].map((a) => retryDelayMs(policy, a))).toEqual([1000, 2000, 4000, 8000, 60_000]);
    const d = decideEvent(
      { status: "running", attempt: 2, maxAttempts: 3, retryAt: null },
      { type: "step_failed", error },
      policy,
      now,
    );
    expect(d).toMatchObject({ ok: true, to: "retry_scheduled", retryAt: new Date(now.getTime() + 2000) });
  });

  it("dead-letters when attempts run out, and opens an escalation", () => {
    const d = decideEvent(
      { status: "running", attempt: 3, maxAttempts: 3, retryAt: null },
      { type: "step_failed", error },
      policy,
      now,
    );
    expect(d).toMatchObject({ ok: true, to: "dead_lettered", escalation: "dead_letter", retryAt: null });
  });

  it("dead-letters a non-retryable error at once, matched exactly by type", () => {
    expect(
      decideRetry(policy, { attempt: 1, maxAttempts: 3, error: { type: "validation", message: "" }, now }),
    ).toEqual({ retry: false, why: "non_retryable" });
    expect(
      decideRetry(policy, { attempt: 1, maxAttempts: 3, error: { type: "Validation", message: "" }, now }).retry,
    ).toBe(true);
    expect(
      decideRetry(policy, { attempt: 1, maxAttempts: 3, error: { type: "validation_x", message: "" }, now }).retry,
    ).toBe(true);
    expect(
      decideRetry(policy, { attempt: 1, maxAttempts: 3, error: { type: "io", message: "", retryable: false }, now }),
    ).toEqual({ retry: false, why: "non_retryable" });
  });

  it("a heartbeat timeout fails like step_failed with type timeout, escalating as a timeout when exhausted", () => {
    const retried = decideEvent(
      { status: "running", attempt: 1, maxAttempts: 3, retryAt: null },
      { type: "timeout" },
      policy,
      now,
    );
    expect(retried).toMatchObject({ to: "retry_scheduled" });
    const dead = decideEvent(
      { status: "running", attempt: 3, maxAttempts: 3, retryAt: null },
      { type: "timeout" },
      policy,
      now,
    );
    expect(dead).toMatchObject({ to: "dead_lettered", escalation: "timeout" });
  });

  it("escalate opens an agent-request escalation; heartbeats are not events", () => {
    expect(
      decideEvent({ status: "running", attempt: 1, maxAttempts: 3, retryAt: null }, { type: "escalate" }, policy, now),
    ).toMatchObject({
      to: "awaiting_human",
      escalation: "agent_request",
    });
    expect(
      decideEvent({ status: "running", attempt: 1, maxAttempts: 3, retryAt: null }, { type: "heartbeat" }, policy, now),
    ).toMatchObject({
      to: "running",
      recordsEvent: false,
    });
  });

  it("a redrive is due now with a fresh allowance of maxAttempts", () => {
    const d = decideEvent(
      { status: "dead_lettered", attempt: 3, maxAttempts: 3, retryAt: null },
      { type: "redrive" },
      policy,
      now,
    );
    expect(d).toMatchObject({ ok: true, to: "retry_scheduled", retryAt: now, attempt: 3, maxAttempts: 6 });
  });

  it("caps absurd backoff at the max interval", () => {
    expect(retryDelayMs({ ...policy, backoffCoefficient: 100 }, 500)).toBe(60_000);
  });
});
