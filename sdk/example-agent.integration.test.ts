import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decideOnAction } from "@/lib/server/actions/decide-approval";
import { getDb } from "@/lib/server/db";
import { DEMO_ACTION_RULES } from "@/lib/server/seed";
import { updateWorkflowClass } from "@/lib/server/workflow-classes/update-workflow-class";
import { BaseKV } from "@/sdk";
import { seedAgent, seedRule } from "@/tests/agent-fixtures";
import { testActor } from "@/tests/fixtures";
import { startApiServer } from "@/tests/sdk-server";

const root = path.resolve(import.meta.dirname, "..");
let server: Awaited<ReturnType<typeof startApiServer>>;
let dir: string;

beforeAll(async () => {
  server = await startApiServer();
  dir = mkdtempSync(path.join(tmpdir(), "basekv-example-agent-"));
});
afterAll(async () => {
  await server?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** An agent in a workspace with the demo's action rules (as `npm run example:agent` finds in `demo`). */
async function seedDemoLikeAgent() {
  const agent = await seedAgent();
  for (const rule of DEMO_ACTION_RULES) await seedRule(agent, { ...rule });
  return agent;
}

/**
 * Runs `npm run example:agent`'s script as its own process, over HTTP; `until` kills it (SIGKILL)
 * when a line matches; `onOutput` sees the output so far each time some arrives.
 */
function runAgent(env: Record<string, string>, args: string[], until?: RegExp, onOutput?: (output: string) => void) {
  return new Promise<{ code: number | null; output: string; killed: boolean }>((resolve, reject) => {
    const child: ChildProcess = spawn(
      process.execPath,
      // tsx as a loader in this one process (its CLI would run the script in a child that SIGKILL would orphan).
      ["--import", "tsx", "scripts/example-agent.ts", ...args],
      { cwd: root, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] },
    );
    let output = "";
    let killed = false;
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      onOutput?.(output);
      if (until && !killed && until.test(output)) {
        killed = true;
        child.kill("SIGKILL");
      }
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", onData);
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, output, killed }));
  });
}

describe("example agent (npm run example:agent)", () => {
  it("killed mid-run, restarted: resumes from its checkpoint; --fail-once shows a retry; commits once; then acts, asking first", async () => {
    const agent = await seedDemoLikeAgent();
    await updateWorkflowClass({
      workspaceId: agent.workspace.id,
      actor: testActor,
      classId: agent.workflowClass.id,
      maxAttempts: 3,
      initialIntervalMs: 200,
      backoffCoefficient: 2,
      maxIntervalMs: 1000,
      nonRetryableErrors: ["validation"],
      heartbeatTimeoutSeconds: 300,
    });
    const env = { BASEKV_URL: server.url, BASEKV_API_KEY: agent.key };
    const args = ["--fail-once", "--step-delay-ms", "50", "--state-file", path.join(dir, "state.json")];

    const first = await runAgent(env, args, /✓ load-invoices \(checkpointed\)/);
    expect(first.killed).toBe(true);
    const taskId = first.output.match(/created task (task_[0-9a-z]+)/)?.[1];
    expect(taskId).toBeDefined();

    // While the restarted agent waits for the refund's approval, a person approves it (as the printed CLI command would).
    let approving: Promise<unknown> | null = null;
    const second = await runAgent(env, [...args, "--approval-timeout-s", "60"], undefined, (output) => {
      const id = /approval approve --id (act_[0-9a-z]+) --note/.exec(output)?.[1];
      if (id && !approving)
        approving = decideOnAction({
          workspaceId: agent.workspace.id,
          actionId: id,
          approver: { type: "user", userId: agent.members.admin!.id, name: "Ann Admin" },
          choice: { decision: "approve", reason: "refund checked" },
          actor: { type: "user", id: agent.members.admin!.id, name: agent.members.admin!.email },
        });
    });
    await approving;
    expect(second.output).toContain(`resuming task ${taskId}`);
    expect(second.output).toContain("load-invoices (done before: from the checkpoint)");
    expect(second.output).toMatch(/✗ price: upstream_unavailable .* → retry_scheduled/);
    expect(second.output).toContain("started attempt 2");
    expect(second.output).toContain(`task ${taskId} committed`);
    expect(second.code).toBe(0);

    const client = new BaseKV({ baseUrl: server.url, apiKey: agent.key });
    const task = await client.tasks.get(taskId!);
    expect(task).toMatchObject({ status: "committed", attempt: 2, output: { totals: { net: 245, total: 294 } } });
    expect(task.events.filter((e) => e.type === "step_completed").map((e) => e.step)).toEqual([
      "load-invoices",
      "price",
      "store-report",
    ]);
    expect((await client.kv.get("billing.runs", `reports/${taskId}`)).version).toBe(1);

    // The actions: the email allowed by a rule and done; the refund approved by a person, then done.
    expect(second.output).toMatch(/✓ email the report: action act_[0-9a-z]+ succeeded/);
    expect(second.output).toContain(`/w/${agent.workspace.slug}/approvals`);
    expect(second.output).toMatch(/✓ refund order 123: action act_[0-9a-z]+ succeeded/);
    const actions = await getDb().action.findMany({
      where: { identityId: agent.identity.id },
      orderBy: { createdAt: "asc" },
      select: { action: true, status: true, taskId: true, actualMicros: true, _count: { select: { approvals: true } } },
    });
    expect(actions).toEqual([
      { action: "email.send", status: "succeeded", taskId, actualMicros: 1500n, _count: { approvals: 0 } },
      { action: "payments.refund", status: "succeeded", taskId, actualMicros: 40_000_000n, _count: { approvals: 1 } },
    ]);
  }, 120_000);

  it("nobody approves the refund in time: it cancels it, says so, and exits 0", async () => {
    const agent = await seedDemoLikeAgent();
    const env = { BASEKV_URL: server.url, BASEKV_API_KEY: agent.key };
    const run = await runAgent(env, [
      "--step-delay-ms",
      "10",
      "--approval-timeout-s",
      "1",
      "--state-file",
      path.join(dir, "timeout-state.json"),
    ]);
    expect(run.output).toMatch(/approval approve --id act_[0-9a-z]+ --note/);
    expect(run.output).toMatch(/⌛ refund order 123: .*no decision within 1 s: cancelled/);
    expect(run.code).toBe(0);
    const refund = await getDb().action.findFirstOrThrow({
      where: { identityId: agent.identity.id, action: "payments.refund" },
      select: { status: true },
    });
    expect(refund.status).toBe("cancelled");
  }, 90_000);

  it("without BASEKV_API_KEY it says how to create one and exits 2", async () => {
    const result = await runAgent({ BASEKV_API_KEY: "" }, []);
    expect(result.code).toBe(2);
    expect(result.output).toContain("npm run -s admin -- key create --workspace demo --identity invoice-bot");
  }, 60_000);
});
