import "server-only";
import type { z } from "zod";
import { newId } from "@/lib/core/ids";
import { ruleInputSchema } from "@/lib/validations/actions";
import { ruleJson } from "./actions/rules";
import { writeAudit, type Actor } from "./audit";
import type { Tx } from "./db";
import { createTask } from "./tasks/create-task";
import { recordTaskEvent, type TaskEventInput } from "./tasks/record-task-event";
import { getDb } from "./db";
import { hashPassword } from "./passwords";

export const DEMO_WORKSPACE = "demo";

/**
 * The demo workspace's action rules, in order, for the demo agent's class (`npm run example:agent`
 * asks for both): sending a report by email is allowed when estimated (at most $0.50), a refund
 * waits for a person. Anything else falls to the workspace's default: deny.
 */
export const DEMO_ACTION_RULES = [
  {
    name: "send-report-email",
    action: "email.send",
    workflowClass: "invoices",
    effect: "allow",
    maxEstimateUsd: "0.50",
    requireEstimate: true,
    completionTimeoutSeconds: 300,
  },
  {
    name: "refunds-need-approval",
    action: "payments.refund",
    workflowClass: "invoices",
    effect: "require_approval",
    maxEstimateUsd: "500",
    approvalTimeoutSeconds: 3600,
    message: "Refunds above $500 are never made by an agent.",
  },
] as const satisfies readonly z.input<typeof ruleInputSchema>[];

/**
 * First run only: the `demo` workspace and its admin. Returns null when the
 * workspace already exists (nothing is changed on later starts).
 */
export async function seedDemoWorkspace(input: {
  adminEmail: string;
  adminPassword: string;
}): Promise<{ workspaceId: string; adminEmail: string } | null> {
  const db = getDb();
  const actor: Actor = { type: "system", id: "seed", name: "first-run seed" };
  const email = input.adminEmail.toLowerCase();
  const passwordHash = await hashPassword(input.adminPassword);
  return db.$transaction(
    async (tx) => {
      // Serialize concurrent first starts; the loser sees the workspace and does nothing.
      await tx.$executeRaw`SELECT pg_advisory_xact_lock(72707370)`;
      const exists = await tx.workspace.findUnique({ where: { slug: DEMO_WORKSPACE }, select: { id: true } });
      if (exists) return null;
      const workspace = await tx.workspace.create({
        data: { id: newId("ws"), slug: DEMO_WORKSPACE, name: "Demo workspace", dailyRequestLimit: 10_000 },
        select: { id: true },
      });
      const user =
        (await tx.user.findUnique({ where: { email }, select: { id: true } })) ??
        // The printed first-run password is a one-time password, like an admin-issued one (issue #17).
        (await tx.user.create({
          data: { id: newId("usr"), email, name: "Admin", passwordHash, mustChangePassword: true },
          select: { id: true },
        }));
      await tx.membership.create({
        data: { workspaceId: workspace.id, userId: user.id, role: "admin", displayName: "Admin" },
      });
      await writeAudit(tx, { workspaceId: workspace.id, actor, action: "workspace.created", target: DEMO_WORKSPACE });
      await writeAudit(tx, {
        workspaceId: workspace.id,
        actor,
        action: "member.added",
        target: email,
        details: { userId: user.id, role: "admin" },
      });
      await seedDemoData(tx, workspace.id, actor);
      return { workspaceId: workspace.id, adminEmail: email };
    },
    // The demo data is a few dozen writes: more than the default 5 s on a busy machine.
    { maxWait: 10_000, timeout: 60_000 },
  );
}

/**
 * For a demo admin seeded before first-run passwords were one-time passwords,
 * still on that password: it must be changed at the next sign-in.
 */
export async function requireFirstRunPasswordChange(userId: string): Promise<void> {
  await getDb().$transaction(async (tx) => {
    const user = await tx.user.update({
      where: { id: userId },
      data: { mustChangePassword: true },
      select: { email: true },
    });
    await writeAudit(tx, {
      workspaceId: null,
      actor: { type: "system", id: "seed", name: "first-run seed" },
      action: "auth.password_change_required",
      target: user.email,
      reason: "the first-run password is a one-time password",
    });
  });
}

/**
 * A little life for the demo dashboard: a namespace, a workflow class, an
 * identity (issue it a key from its page) and tasks in several states, made
 * through the same services agents use, so the timeline and audit are real.
 */
async function seedDemoData(tx: Tx, workspaceId: string, seedActor: Actor) {
  const now = Date.now();
  const at = (secondsAgo: number) => new Date(now - secondsAgo * 1000);
  const namespace = await tx.namespace.create({
    data: {
      id: newId("ns"),
      workspaceId,
      name: "billing.runs",
      description: "Invoice runs and their checkpoints",
      defaultTtlSeconds: 7 * 86400,
      maxTtlSeconds: 30 * 86400,
    },
  });
  const workflowClass = await tx.workflowClass.create({
    data: {
      id: newId("wfc"),
      workspaceId,
      name: "invoices",
      description: "Monthly invoicing",
      nonRetryableErrors: ["validation"],
    },
  });
  const identity = await tx.identity.create({
    data: {
      id: newId("idn"),
      workspaceId,
      workflowClassId: workflowClass.id,
      name: "invoice-bot",
      description: "Demo agent",
      grants: { create: [{ pattern: "billing.*", access: "readwrite" }] },
    },
  });
  for (const [action, target] of [
    ["namespace.created", namespace.name],
    ["workflow_class.created", workflowClass.name],
    ["identity.created", identity.name],
  ] as const) {
    await writeAudit(tx, { workspaceId, actor: seedActor, action, target, reason: "demo data" });
  }

  for (const [index, input] of DEMO_ACTION_RULES.entries()) {
    const rule = ruleInputSchema.parse(input);
    const row = await tx.actionRule.create({
      data: {
        id: newId("rule"),
        workspaceId,
        position: index + 1,
        name: rule.name,
        action: rule.action,
        workflowClass: rule.workflowClass,
        minEstimateMicros: rule.minEstimateUsd,
        maxEstimateMicros: rule.maxEstimateUsd,
        effect: rule.effect,
        mode: rule.mode,
        message: rule.message,
        approvalTimeoutSeconds: rule.approvalTimeoutSeconds,
        completionTimeoutSeconds: rule.completionTimeoutSeconds,
        requiredApprovals: rule.requiredApprovals,
        requireEstimate: rule.requireEstimate,
        rateLimitCount: rule.rateLimitCount,
        rateLimitMicros: rule.rateLimitUsd,
      },
      select: { id: true, position: true },
    });
    await writeAudit(tx, {
      workspaceId,
      actor: seedActor,
      action: "action_rule.created",
      target: row.id,
      reason: "demo data",
      details: {
        rule: ruleJson({
          ...row,
          ...rule,
          rateLimit:
            rule.rateLimitCount === null && rule.rateLimitUsd === null
              ? null
              : { actions: rule.rateLimitCount, usd: rule.rateLimitUsd },
        }),
      },
    });
  }

  const agent: Actor = { type: "identity", id: identity.id, name: identity.name };
  const wc = { id: workflowClass.id, maxAttempts: workflowClass.maxAttempts };
  const run = async (
    name: string,
    startedSecondsAgo: number,
    script: (id: string, t: (s: number) => Date) => Promise<void>,
  ) => {
    const task = await createTask(tx, {
      workspaceId,
      workflowClass: wc,
      namespace: namespace.name,
      taskInput: { invoiceRun: name },
      correlationId: `demo-${name}`,
      actor: agent,
      reason: "demo data",
      requestId: null,
      now: at(startedSecondsAgo),
    });
    await script(task.id, (offset) => at(startedSecondsAgo - offset));
  };
  const event = (taskId: string, now: Date, event: TaskEventInput) =>
    recordTaskEvent(tx, { taskId, workspaceId, event, actor: agent, now });

  await run("2026-10", 7200, async (id, t) => {
    await event(id, t(5), { type: "started" });
    await event(id, t(40), { type: "step_completed", step: "collect-usage", checkpoint: { customers: 1204 } });
    await event(id, t(95), {
      type: "step_completed",
      step: "render-pdfs",
      checkpoint: { customers: 1204, rendered: 1204 },
    });
    await event(id, t(130), { type: "committed", output: { invoices: 1204, total: 98231.5 } });
  });
  await run("2026-11-eu", 3600, async (id, t) => {
    await event(id, t(3), { type: "started" });
    await event(id, t(20), { type: "step_completed", step: "collect-usage", checkpoint: { customers: 311 } });
    await event(id, t(31), { type: "step_failed", error: { type: "upstream", message: "tax service returned 503" } });
  });
  await run("2026-11-us", 1800, async (id, t) => {
    for (let attempt = 0; attempt < 3; attempt++) {
      await event(id, t(attempt * 10 + 1), { type: "started" });
      await event(id, t(attempt * 10 + 4), {
        type: "step_failed",
        error: { type: "upstream", message: "bank API timed out" },
      });
      if (attempt < 2) await tx.task.update({ where: { id }, data: { retryAt: t(attempt * 10 + 5) } });
    }
  });
  await run("2026-11-apac", 600, async (id, t) => {
    await event(id, t(2), { type: "started" });
    await event(id, t(15), { type: "escalate", reason: "customer disputes 3 line items; needs a human decision" });
  });
  await run("2026-11-adhoc", 30, async (id, t) => {
    await event(id, t(1), { type: "started" });
  });
}
