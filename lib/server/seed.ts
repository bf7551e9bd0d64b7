import "server-only";
import type { z } from "zod";
import { argumentsSha256 } from "@/lib/core/action-arguments";
import { localDay } from "@/lib/core/calendar";
import { newId } from "@/lib/core/ids";
import { parseUsd } from "@/lib/core/money";
import { Prisma } from "@/lib/generated/prisma/client";
import { ruleInputSchema } from "@/lib/validations/actions";
import { ruleJson } from "./actions/rules";
import { writeAudit, type Actor } from "./audit";
import { setSpendLimits } from "./budgets/spend-limits";
import { issueCredentialIn } from "./credentials/issue-credential";
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
      await seedDemoData(tx, workspace.id, actor, { id: user.id, email });
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
async function seedDemoData(tx: Tx, workspaceId: string, seedActor: Actor, admin: { id: string; email: string }) {
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

  const seededRules = new Map<string, { id: string; copy: ReturnType<typeof ruleJson>; rule: SeededRule }>();
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
    const copy = ruleJson({
      ...row,
      ...rule,
      rateLimit:
        rule.rateLimitCount === null && rule.rateLimitUsd === null
          ? null
          : { actions: rule.rateLimitCount, usd: rule.rateLimitUsd },
    });
    seededRules.set(rule.name, { id: row.id, copy, rule });
    await writeAudit(tx, {
      workspaceId,
      actor: seedActor,
      action: "action_rule.created",
      target: row.id,
      reason: "demo data",
      details: { rule: copy },
    });
  }
  await seedDemoSpend(tx, {
    workspaceId,
    seedActor,
    admin,
    workflowClassId: workflowClass.id,
    identityId: identity.id,
    rules: seededRules,
    now: new Date(now),
  });

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

type SeededRule = ReturnType<typeof ruleInputSchema.parse>;

/**
 * The demo's spend limits (API.md "Spend budgets"), set through the one service that sets them (so
 * they are audited); roomy enough for `npm run example:agent` (a $40 refund estimate) a few times a day.
 */
export const DEMO_SPEND_LIMITS = {
  dailyUsd: "150",
  monthlyUsd: "2000",
  dailyTokens: 2_000_000n,
  classDailyUsd: "120",
} as const;
export const DEMO_SPEND_DAYS = 10;

const micros = (usd: string) => (parseUsd(usd) as { ok: true; micros: bigint }).micros;

/**
 * Spend history for the Budgets page's charts: the demo agent's past ten days of report emails
 * and approved refunds, as settled actions (succeeded, on past local days, with an estimate and an
 * actual) inserted directly — history only: they reserved nothing in today's counters
 * (spend_scopes empty), and every day stays within the limits set here (at most $118 a day, under the class's $120).
 * Deterministic (a fixed pseudo-random sequence), so every demo looks the same.
 */
async function seedDemoSpend(
  tx: Tx,
  input: {
    workspaceId: string;
    seedActor: Actor;
    admin: { id: string; email: string };
    workflowClassId: string;
    identityId: string;
    rules: Map<string, { id: string; copy: ReturnType<typeof ruleJson>; rule: SeededRule }>;
    now: Date;
  },
) {
  const { workspaceId, now } = input;
  const dayMs = 86_400_000;
  const { timeZone } = await tx.workspace.findUniqueOrThrow({ where: { id: workspaceId }, select: { timeZone: true } });
  // The key the demo agent used for those days: issued eleven days ago for ten days, expired since.
  const key = await issueCredentialIn(tx, {
    workspaceId,
    actor: input.seedActor,
    identityId: input.identityId,
    expiresInSeconds: 10 * 86_400,
    now: new Date(now.getTime() - 11 * dayMs),
    reason: "demo data: the key of the demo's spend history",
  });
  let state = 20261202;
  const random = () => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state / 2147483648;
  };
  const email = input.rules.get("send-report-email")!;
  const refund = input.rules.get("refunds-need-approval")!;
  const actions: Prisma.ActionCreateManyInput[] = [];
  const approvals: Prisma.ActionApprovalCreateManyInput[] = [];
  // From 08:00 UTC of each past day: the demo workspace is new, so its time zone is UTC and every
  // action falls on a past day.
  const today = localDay(now, timeZone);
  for (let daysAgo = DEMO_SPEND_DAYS; daysAgo >= 1; daysAgo--) {
    const dayStart = Date.parse(`${today}T08:00:00Z`) - daysAgo * dayMs;
    const emails = 12 + Math.floor(random() * 16);
    const base = {
      workspaceId,
      identityId: input.identityId,
      credentialId: key.id,
      workflowClassId: input.workflowClassId,
      status: "succeeded" as const,
      correlationId: `demo-spend-${daysAgo}`,
    };
    for (let i = 0; i < emails; i++) {
      const createdAt = new Date(dayStart + Math.floor(random() * 10 * 3600_000));
      const args = { to: `customer-${Math.floor(random() * 900) + 100}@example.com`, template: "monthly-report" };
      const estimate = 400_000n; // $0.40, within the rule's $0.50
      // One in fifteen drafts ran long ($0.43–$0.48): charged in full, marked as an overrun.
      const actual =
        random() < 1 / 15
          ? 430_000n + BigInt(Math.floor(random() * 6)) * 10_000n
          : 180_000n + BigInt(Math.floor(random() * 21)) * 10_000n; // whole cents: $0.18–$0.38
      const tokens = BigInt(1800 + Math.floor(random() * 1400));
      actions.push({
        ...base,
        id: newId("act"),
        action: "email.send",
        summary: "Send the monthly usage report",
        resource: `report/${args.to}`,
        arguments: args,
        argumentsSha256: argumentsSha256(args),
        estimateMicros: estimate,
        estimateTokens: 3000n,
        actualMicros: actual,
        actualTokens: tokens,
        overrun: actual > estimate,
        ruleId: email.id,
        ruleName: email.rule.name,
        rule: email.copy,
        approvalTimeoutSeconds: email.rule.approvalTimeoutSeconds,
        completionTimeoutSeconds: email.rule.completionTimeoutSeconds,
        result: { sent: true },
        decidedAt: createdAt,
        completedAt: new Date(createdAt.getTime() + 4_000),
        spendDay: new Date(`${localDay(createdAt, timeZone)}T00:00:00Z`),
        createdAt,
        updatedAt: new Date(createdAt.getTime() + 4_000),
      });
    }
    // Up to three refunds a day ($8–$35 each), each approved by the admin.
    const refunds = Math.floor(random() * 4);
    for (let r = 0; r < refunds; r++) {
      const createdAt = new Date(dayStart + 3600_000 + Math.floor(random() * 8 * 3600_000));
      const decidedAt = new Date(createdAt.getTime() + 6 * 60_000);
      const amount = 8 + Math.floor(random() * 28);
      const args = { order: 4000 + Math.floor(random() * 999), amount };
      const sha = argumentsSha256(args);
      const id = newId("act");
      actions.push({
        ...base,
        id,
        action: "payments.refund",
        summary: `Refund $${amount} for order ${args.order}`,
        resource: `order/${args.order}`,
        arguments: args,
        argumentsSha256: sha,
        estimateMicros: micros(String(amount)),
        actualMicros: micros(String(amount)),
        ruleId: refund.id,
        ruleName: refund.rule.name,
        rule: refund.copy,
        requiredApprovals: refund.rule.requiredApprovals,
        approvalTimeoutSeconds: refund.rule.approvalTimeoutSeconds,
        completionTimeoutSeconds: refund.rule.completionTimeoutSeconds,
        result: { refunded: true },
        decidedAt,
        completedAt: new Date(decidedAt.getTime() + 20_000),
        spendDay: new Date(`${localDay(createdAt, timeZone)}T00:00:00Z`),
        createdAt,
        updatedAt: new Date(decidedAt.getTime() + 20_000),
      });
      approvals.push({
        actionId: id,
        decision: "approve",
        byType: "user",
        byId: input.admin.id,
        byName: input.admin.email,
        reason: "demo data: order checked, refund due",
        argumentsSha256: sha,
        createdAt: decidedAt,
      });
    }
  }
  await tx.action.createMany({ data: actions });
  await tx.actionApproval.createMany({ data: approvals });
  await setSpendLimits({
    workspaceId,
    actor: input.seedActor,
    changes: [
      { budget: "workspace.daily_usd", limit: micros(DEMO_SPEND_LIMITS.dailyUsd) },
      { budget: "workspace.monthly_usd", limit: micros(DEMO_SPEND_LIMITS.monthlyUsd) },
      { budget: "workspace.daily_tokens", limit: DEMO_SPEND_LIMITS.dailyTokens },
      { budget: "class.daily_usd", classId: input.workflowClassId, limit: micros(DEMO_SPEND_LIMITS.classDailyUsd) },
    ],
    reason: "demo data",
    tx,
  });
}
