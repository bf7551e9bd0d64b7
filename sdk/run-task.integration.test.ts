import { describe, expect, it } from "vitest";
import { getDb } from "@/lib/server/db";
import { updateWorkflowClass } from "@/lib/server/workflow-classes/update-workflow-class";
import { BaseKV, EscalateTask, runTask, StepError, type RunEvent, type Step } from "@/sdk";
import { seedAgent } from "@/tests/agent-fixtures";
import { testActor } from "@/tests/fixtures";
import { routeFetch } from "@/tests/sdk-server";

/** An agent whose class retries quickly (50 ms, then 100 ms … by default), so a retry is due within the test. */
async function seedFastAgent(maxAttempts = 3, initialIntervalMs = 50) {
  const agent = await seedAgent();
  await updateWorkflowClass({
    workspaceId: agent.workspace.id,
    actor: testActor,
    classId: agent.workflowClass.id,
    maxAttempts,
    initialIntervalMs,
    backoffCoefficient: 2,
    maxIntervalMs: 1000,
    nonRetryableErrors: ["validation"],
    heartbeatTimeoutSeconds: 300,
  });
  return agent;
}

const clientFor = (key: string) => new BaseKV({ baseUrl: "http://localhost", apiKey: key, fetch: routeFetch });

/** Three steps that count their executions; `hooks` let a test make one throw or hang. */
function workflow(hooks: Partial<Record<"fetch" | "transform" | "store", () => Promise<void> | void>> = {}) {
  const runs = { fetch: 0, transform: 0, store: 0 };
  const steps: Step[] = [
    {
      name: "fetch",
      run: async () => {
        runs.fetch++;
        await hooks.fetch?.();
        return { lines: [1, 2, 3] };
      },
    },
    {
      name: "transform",
      run: async ({ results }) => {
        runs.transform++;
        await hooks.transform?.();
        const fetched = results.fetch as { lines: number[] };
        return { total: fetched.lines.reduce((a, b) => a + b, 0) };
      },
    },
    {
      name: "store",
      run: async ({ results }) => {
        runs.store++;
        await hooks.store?.();
        return { stored: (results.transform as { total: number }).total };
      },
    },
  ];
  return { runs, steps };
}

describe("runTask", () => {
  it("starts, checkpoints each step, commits with the output", async () => {
    const agent = await seedFastAgent();
    const client = clientFor(agent.key);
    const task = await client.tasks.create({ namespace: "billing.runs", input: { invoice: 42 } });
    const { runs, steps } = workflow();
    const events: RunEvent[] = [];
    const result = await runTask(client, task, steps, { onEvent: (e) => events.push(e) });

    expect(result.status).toBe("committed");
    expect(result.status === "committed" && result.output).toEqual({
      fetch: { lines: [1, 2, 3] },
      transform: { total: 6 },
      store: { stored: 6 },
    });
    expect(runs).toEqual({ fetch: 1, transform: 1, store: 1 });
    const after = await client.tasks.get(task.id);
    expect(after.events.map((e) => [e.type, e.step])).toEqual([
      ["accepted", null],
      ["started", null],
      ["step_completed", "fetch"],
      ["step_completed", "transform"],
      ["step_completed", "store"],
      ["committed", null],
    ]);
    expect(after.checkpoint).toMatchObject({
      step: "store",
      key: `checkpoint/${task.id}`,
      value: { runTask: 1, completed: ["fetch", "transform", "store"] },
    });
    expect(events.at(-1)).toEqual({ type: "finished", status: "committed" });
  });

  it("resumes after a crash from the checkpoint: a fresh client and runner skip the steps already done", async () => {
    const agent = await seedFastAgent();
    const first = clientFor(agent.key);
    const task = await first.tasks.create({ namespace: "billing.runs" });

    // The process "dies" in the middle of step 2: nothing more is reported.
    const crash = new AbortController();
    const one = workflow({
      transform: () => {
        crash.abort(new Error("killed"));
      },
    });
    await expect(runTask(first, task.id, one.steps, { signal: crash.signal })).rejects.toThrow("killed");
    expect(one.runs).toEqual({ fetch: 1, transform: 1, store: 0 });
    const crashed = await first.tasks.get(task.id);
    expect(crashed).toMatchObject({ status: "running", checkpoint: { step: "fetch" } });

    // Another runner does not touch a task that is running elsewhere…
    const two = workflow();
    const fresh = clientFor(agent.key);
    expect((await runTask(fresh, task.id, two.steps)).status).toBe("running");
    expect(two.runs).toEqual({ fetch: 0, transform: 0, store: 0 });

    // …but the restarted owner adopts it and resumes after the checkpointed step.
    const events: RunEvent[] = [];
    const result = await runTask(fresh, task.id, two.steps, { resumeRunning: true, onEvent: (e) => events.push(e) });
    expect(result.status).toBe("committed");
    expect(two.runs).toEqual({ fetch: 0, transform: 1, store: 1 });
    expect(events.slice(0, 2)).toEqual([
      { type: "adopted", attempt: 1, resumedAfter: "fetch" },
      { type: "step_skipped", step: "fetch" },
    ]);
    const done = await fresh.tasks.get(task.id);
    expect(done.output).toEqual({ fetch: { lines: [1, 2, 3] }, transform: { total: 6 }, store: { stored: 6 } });
    expect(done.events.filter((e) => e.type === "step_completed").map((e) => e.step)).toEqual([
      "fetch",
      "transform",
      "store",
    ]);
  });

  it("a retryable failure is reported as step_failed, retried when due, and resumes after the checkpoint", async () => {
    const agent = await seedFastAgent(3, 400); // long enough that the runner surely waits for it
    const client = clientFor(agent.key);
    const task = await client.tasks.create({ namespace: "billing.runs" });
    let failures = 1;
    const { runs, steps } = workflow({
      transform: () => {
        if (failures-- > 0) throw new StepError("upstream_unavailable", "the ledger answered 503");
      },
    });
    const events: RunEvent[] = [];
    const result = await runTask(client, task, steps, { onEvent: (e) => events.push(e) });

    expect(result.status).toBe("committed");
    expect(runs).toEqual({ fetch: 1, transform: 2, store: 1 });
    expect(events).toContainEqual({
      type: "step_failed",
      step: "transform",
      error: { type: "upstream_unavailable", message: "the ledger answered 503" },
      status: "retry_scheduled",
    });
    expect(events).toContainEqual(expect.objectContaining({ type: "waiting" }));
    const after = await client.tasks.get(task.id);
    expect(after.attempt).toBe(2);
    expect(after.lastError).toEqual({ type: "upstream_unavailable", message: "the ledger answered 503" });
    expect(after.events.map((e) => e.type)).toEqual([
      "accepted",
      "started",
      "step_completed",
      "step_failed",
      "started",
      "step_completed",
      "step_completed",
      "committed",
    ]);
  });

  it("with waitForRetry: false it returns retry_scheduled; a later run picks the task up when due", async () => {
    const agent = await seedFastAgent();
    const client = clientFor(agent.key);
    const task = await client.tasks.create({ namespace: "billing.runs" });
    let fail = true;
    const { runs, steps } = workflow({
      store: () => {
        if (fail) throw new Error("disk full");
      },
    });
    const first = await runTask(client, task, steps, { waitForRetry: false });
    expect(first).toMatchObject({ status: "retry_scheduled", retryAt: expect.any(String) });
    expect((await client.tasks.get(task.id)).lastError).toEqual({ type: "error", message: "disk full" });

    fail = false;
    const second = await runTask(clientFor(agent.key), task.id, steps); // waits until due, then starts attempt 2
    expect(second.status).toBe("committed");
    expect(runs).toEqual({ fetch: 1, transform: 1, store: 2 });
  });

  it("a non-retryable error type dead-letters the task (the class's list applies); EscalateTask hands it to a person", async () => {
    const agent = await seedFastAgent();
    const client = clientFor(agent.key);

    const bad = await client.tasks.create({ namespace: "billing.runs" });
    const failing = workflow({
      fetch: () => {
        throw new StepError("validation", "invoice 42 has no customer");
      },
    });
    const dead = await runTask(client, bad, failing.steps);
    expect(dead.status).toBe("dead_lettered");
    expect(failing.runs.fetch).toBe(1);
    expect(await getDb().escalation.count({ where: { taskId: bad.id, cause: "dead_letter" } })).toBe(1);

    const unsure = await client.tasks.create({ namespace: "billing.runs" });
    const asking = workflow({
      transform: () => {
        throw new EscalateTask("amount above the approval threshold");
      },
    });
    const waiting = await runTask(client, unsure, asking.steps);
    expect(waiting.status).toBe("awaiting_human");
    expect(await getDb().escalation.count({ where: { taskId: unsure.id, cause: "agent_request" } })).toBe(1);
    // A finished or escalated task is returned as it is: nothing runs again.
    expect((await runTask(client, unsure, asking.steps)).status).toBe("awaiting_human");
    expect(asking.runs).toEqual({ fetch: 1, transform: 1, store: 0 });
  });

  it("retries run out: the last failure dead-letters the task", async () => {
    const agent = await seedFastAgent(2);
    const client = clientFor(agent.key);
    const task = await client.tasks.create({ namespace: "billing.runs" });
    const { runs, steps } = workflow({
      fetch: () => {
        throw new TypeError("cannot read properties of undefined");
      },
    });
    const result = await runTask(client, task, steps);
    expect(result.status).toBe("dead_lettered");
    expect(runs.fetch).toBe(2);
    expect((await client.tasks.get(task.id)).lastError).toMatchObject({ type: "TypeError" });
  });

  it("heartbeats while a step runs, and stops the step when the task is taken from it", async () => {
    const agent = await seedFastAgent();
    const client = clientFor(agent.key);
    const task = await client.tasks.create({ namespace: "billing.runs" });
    const events: RunEvent[] = [];
    let stepSignal: AbortSignal | null = null;
    const steps: Step[] = [
      {
        name: "slow",
        run: async ({ signal }) => {
          stepSignal = signal;
          await new Promise((resolve) => setTimeout(resolve, 250));
          return "done";
        },
      },
      {
        name: "hijacked",
        run: async ({ signal }) => {
          // Someone else moves the task (here: escalates it) while this step runs.
          await client.tasks.event(task.id, { type: "escalate", reason: "operator took over" });
          await new Promise<void>((resolve) => {
            signal.addEventListener("abort", () => resolve(), { once: true });
            setTimeout(resolve, 2000);
          });
          if (!signal.aborted) throw new Error("the step was not told it lost the task");
        },
      },
    ];
    const result = await runTask(client, task, steps, { heartbeatIntervalMs: 40, onEvent: (e) => events.push(e) });
    expect(events.filter((e) => e.type === "heartbeat" && e.step === "slow" && e.ok).length).toBeGreaterThanOrEqual(2);
    expect(stepSignal!.aborted).toBe(false);
    expect(events).toContainEqual({ type: "heartbeat", step: "hijacked", ok: false });
    expect(result.status).toBe("awaiting_human");
    // The runner reported nothing for the lost step.
    const after = await client.tasks.get(task.id);
    expect(after.events.map((e) => e.type)).toEqual(["accepted", "started", "step_completed", "escalate"]);
  });
});
