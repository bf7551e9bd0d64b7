/**
 * An example agent on the SDK: `npm run example:agent [-- flags]`.
 *
 * It runs a three-step invoicing workflow as a BaseKV task — load the invoices,
 * price them, store a report in KV — with a checkpoint after each step. Kill it
 * at any moment (Ctrl-C, kill -9) and start it again: it finds its task in its
 * state file and resumes after the last checkpointed step. `--fail-once` makes
 * the pricing step fail once with a retryable error, to show the class's retry
 * policy at work (step_failed → retry_scheduled → started, attempt 2).
 *
 * Then it acts outside BaseKV, asking first (`guard`, API.md "Actions"): it emails the report — a
 * rule allows that — and refunds a disputed order, which a person must approve: it prints where
 * (the dashboard's approvals page, or the admin CLI command) and waits `--approval-timeout-s`
 * seconds; without a decision it cancels the refund and says so.
 *
 *   BASEKV_URL       default http://127.0.0.1:3000
 *   BASEKV_API_KEY   required: npm run admin -- key create --workspace demo --identity invoice-bot
 *
 * Flags: --namespace billing.runs  --fail-once  --step-delay-ms 1500  --approval-timeout-s 300
 *        --state-file .data/example-agent.json  --new (abandon the unfinished task, start another)
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import {
  BaseKV,
  guard,
  isBaseKVError,
  runTask,
  StepError,
  type Json,
  type Policy,
  type RunEvent,
  type Step,
} from "@/sdk";

const { values: flags } = parseArgs({
  options: {
    namespace: { type: "string", default: process.env.BASEKV_NAMESPACE ?? "billing.runs" },
    "fail-once": { type: "boolean", default: false },
    "step-delay-ms": { type: "string", default: "1500" },
    "state-file": { type: "string", default: path.join(".data", "example-agent.json") },
    "heartbeat-ms": { type: "string", default: "5000" },
    "approval-timeout-s": { type: "string", default: "300" },
    new: { type: "boolean", default: false },
  },
});

const baseUrl = process.env.BASEKV_URL ?? "http://127.0.0.1:3000";
const apiKey = process.env.BASEKV_API_KEY;
if (!apiKey) {
  console.error(
    "BASEKV_API_KEY is not set. Create a key for the demo agent and export it:\n\n" +
      "  export BASEKV_API_KEY=$(npm run -s admin -- key create --workspace demo --identity invoice-bot --expires-in 1d | node -pe 'JSON.parse(require(\"fs\").readFileSync(0)).key')\n",
  );
  process.exit(2);
}
const namespace = flags.namespace!;
const stepDelayMs = Number(flags["step-delay-ms"]);
const stateFile = flags["state-file"]!;

type State = { taskId: string; failedOnce?: boolean };
const readState = (): State | null =>
  existsSync(stateFile) ? (JSON.parse(readFileSync(stateFile, "utf8")) as State) : null;
const writeState = (state: State) => {
  mkdirSync(path.dirname(stateFile), { recursive: true });
  writeFileSync(stateFile, JSON.stringify(state));
};

const log = (message: string) => console.log(`${new Date().toISOString().slice(11, 23)}  ${message}`);
const pause = (signal: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    const timer = setTimeout(resolve, stepDelayMs);
    signal.addEventListener("abort", () => (clearTimeout(timer), reject(signal.reason)), { once: true });
  });

const client = new BaseKV({
  baseUrl,
  apiKey,
  // Transport-level retries (dropped connections, 5xx): the same Idempotency-Key each time, so nothing is written twice.
  onRetry: ({ method, path: p, attempt, delayMs, error }) =>
    log(`  ↻ ${method} ${p} failed (${error.code}, attempt ${attempt}); retrying in ${delayMs} ms`),
});

async function main() {
  const policy = await client.policy();
  log(
    `agent ${policy.identity.name} (class ${policy.identity.workflowClass}) in workspace ${policy.workspace.slug}, ` +
      `mode ${policy.mode}, retries: ${policy.retryPolicy.maxAttempts} attempts from ${policy.retryPolicy.initialIntervalMs} ms`,
  );

  let state = flags.new ? null : readState();
  let resumeRunning = false;
  if (state) {
    log(`resuming task ${state.taskId} from ${stateFile}`);
    // The state file is this agent's own: a task it left `running` was running here when the process died.
    resumeRunning = true;
  } else {
    const task = await client.tasks.create({ namespace, input: { month: new Date().toISOString().slice(0, 7) } });
    state = { taskId: task.id };
    writeState(state);
    log(`created task ${task.id} in ${namespace} (state in ${stateFile})`);
  }
  const current = state;

  const steps: Step[] = [
    {
      name: "load-invoices",
      run: async ({ task, signal }) => {
        log(`  step load-invoices (attempt ${task.attempt})…`);
        await pause(signal);
        const month = (task.input as { month?: string } | null)?.month ?? "unknown";
        return {
          month,
          invoices: [
            { id: "inv-1", amount: 120 },
            { id: "inv-2", amount: 80 },
            { id: "inv-3", amount: 45 },
          ],
        };
      },
    },
    {
      name: "price",
      run: async ({ task, results, signal }) => {
        log(`  step price (attempt ${task.attempt})…`);
        await pause(signal);
        if (flags["fail-once"] && !current.failedOnce) {
          writeState({ ...current, failedOnce: true });
          current.failedOnce = true;
          throw new StepError("upstream_unavailable", "the tax service answered 503 (injected by --fail-once)");
        }
        const { invoices } = results["load-invoices"] as { invoices: { amount: number }[] };
        const net = invoices.reduce((sum, i) => sum + i.amount, 0);
        return { net, vat: Math.round(net * 0.2 * 100) / 100, total: Math.round(net * 1.2 * 100) / 100 };
      },
    },
    {
      name: "store-report",
      run: async ({ task, results, signal }) => {
        log(`  step store-report (attempt ${task.attempt})…`);
        await pause(signal);
        const report = { task: task.id, ...(results.price as Record<string, Json>) };
        const key = `reports/${task.id}`;
        try {
          // Create-only: a second run of this step (after a crash just before its checkpoint) finds the report there.
          const put = await client.kv.put(namespace, key, report, { ifAbsent: true, reason: "monthly report" });
          return { key, version: put.version };
        } catch (error) {
          if (!isBaseKVError(error, "version_conflict")) throw error;
          return { key, version: (await client.kv.get(namespace, key)).version };
        }
      },
    },
  ];

  const result = await runTask(client, state.taskId, steps, {
    resumeRunning,
    heartbeatIntervalMs: Number(flags["heartbeat-ms"]),
    output: (results) => ({ report: results["store-report"] ?? null, totals: results.price ?? null }),
    onEvent: (event) => log(describe(event)),
  });

  const g = client.lastGuardrail;
  log(`budget: mode ${g?.mode ?? "?"}, ${g?.remaining ?? "unlimited"} requests left today`);
  switch (result.status) {
    case "committed":
      log(`task ${state.taskId} committed: ${JSON.stringify(result.output)}`);
      rmSync(stateFile, { force: true });
      await act(policy, state.taskId, result.output);
      return 0;
    case "retry_scheduled":
      log(`task ${state.taskId} will be retried at ${result.retryAt}; run me again then`);
      return 0;
    case "running":
      log(`task ${state.taskId} is running elsewhere`);
      return 1;
    default:
      log(`task ${state.taskId} is ${result.status}: see the escalation queue in the dashboard`);
      rmSync(stateFile, { force: true });
      return 1;
  }
}

/**
 * Two actions outside BaseKV, each asked for first: the report by email (allowed by a rule: done
 * at once) and a refund (a person decides). A refusal is an answer, not a crash: it is told and
 * the agent goes on.
 */
async function act(policy: Policy, taskId: string, output: Json | null) {
  const report = (output as { report?: { key?: string } } | null)?.report?.key ?? `reports/${taskId}`;
  log("actions: asking before acting outside BaseKV");
  await asked("email the report", () =>
    guard(
      client,
      "email.send",
      {
        summary: `Email the invoice report ${report} to billing@example.com`,
        arguments: { to: "billing@example.com", report },
        estimate: { usd: 0.002 },
        taskId,
      },
      async (args) => {
        log(`  ✉ sending ${JSON.stringify(args)}…`);
        return { result: { messageId: `msg-${taskId}` }, actual: { usd: 0.0015 } };
      },
    ),
  );

  const timeoutSeconds = Number(flags["approval-timeout-s"]);
  await asked("refund order 123", () =>
    guard(
      client,
      "payments.refund",
      {
        summary: "Refund €40 for order 123 (a disputed line item)",
        resource: "order/123",
        arguments: { order: 123, amount: 40, currency: "EUR" },
        estimate: { usd: 40 },
        taskId,
        timeoutSeconds,
        onPending: (action) => {
          log(`  ⏸ ${action.action} ${action.id} needs a person's approval (rule ${action.rule?.name ?? "default"}).`);
          log(`    approve it in the dashboard: ${baseUrl.replace(/\/+$/, "")}/w/${policy.workspace.slug}/approvals`);
          log(`    or from a shell: npm run admin -- approval approve --id ${action.id} --note "refund checked"`);
          log(`    (or reject it: npm run admin -- approval reject --id ${action.id} --note "…")`);
          log(`    waiting up to ${timeoutSeconds} s for the decision…`);
        },
      },
      async (args) => {
        const { order, amount } = args as { order: number; amount: number };
        log(`  € refunding ${amount} for order ${order}…`);
        return { result: { refund: `re_${order}_${amount}` }, actual: { usd: amount } };
      },
    ),
  );
}

/** Runs one guarded action and tells how it ended; people's refusals are told, not thrown. */
async function asked(what: string, run: () => Promise<{ action: { id: string; status: string } }>) {
  try {
    const { action } = await run();
    log(`  ✓ ${what}: action ${action.id} ${action.status}`);
  } catch (error) {
    if (isBaseKVError(error, "approval_timeout")) log(`  ⌛ ${what}: ${error.message} (no harm done; run me again)`);
    else if (isBaseKVError(error, "action_denied"))
      log(`  ⛔ ${what}: denied — ${error.message}. A rule decides: npm run admin -- rule list --workspace <slug>`);
    else if (isBaseKVError(error, "spend_budget_exhausted"))
      log(`  💸 ${what}: ${error.message} (nothing was spent; the Budgets page shows where the money went)`);
    else if (isBaseKVError(error) && error.status === 0 && error.code.startsWith("action_"))
      log(`  ✗ ${what}: ${error.message}`);
    else throw error;
  }
}

function describe(event: RunEvent): string {
  switch (event.type) {
    case "started":
      return `▶ started attempt ${event.attempt}${event.resumedAfter ? `, resuming after "${event.resumedAfter}"` : ""}`;
    case "adopted":
      return `▶ picked up the running task (attempt ${event.attempt})${event.resumedAfter ? `, resuming after "${event.resumedAfter}"` : ""}`;
    case "step_skipped":
      return `  ✓ ${event.step} (done before: from the checkpoint)`;
    case "step_started":
      return `  · ${event.step}`;
    case "heartbeat":
      return `  ♥ heartbeat${event.ok ? "" : " refused"}`;
    case "step_completed":
      return `  ✓ ${event.step} (checkpointed)`;
    case "step_failed":
      return `  ✗ ${event.step}: ${event.error.type} — ${event.error.message} → ${event.status}`;
    case "waiting":
      return `  … retry due at ${event.until}; waiting ${event.ms} ms`;
    case "reloaded":
      return `  task moved (${event.why}); now ${event.status}`;
    case "finished":
      return `■ ${event.status}`;
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (isBaseKVError(error))
      console.error(
        `BaseKV error ${error.status} ${error.code}: ${error.message} (${error.requestId ?? "no request id"})`,
      );
    else console.error(error);
    process.exit(3);
  },
);
