import { describe, expect, it } from "vitest";
import { decideAction } from "@/lib/core/action-rules";
import { parseUsd } from "@/lib/core/money";
import { loadRules, ruleJson } from "./actions/rules";
import { getDb } from "./db";
import { spendBySpender, spendPerDay } from "./budgets/spend-overview";
import { DEMO_SPEND_DAYS, requireFirstRunPasswordChange, seedDemoWorkspace } from "./seed";

describe("first-run seed", () => {
  it("creates the demo workspace with its admin and live demo tasks, once", async () => {
    const first = await seedDemoWorkspace({
      adminEmail: "Seed-Admin@Example.test",
      adminPassword: "a-long-demo-password",
    });
    expect(first).not.toBeNull();
    const tasks = await getDb().task.findMany({
      where: { workspaceId: first!.workspaceId },
      select: { status: true, lastSeq: true, _count: { select: { events: true } } },
    });
    expect(new Set(tasks.map((t) => t.status))).toEqual(
      new Set(["committed", "retry_scheduled", "dead_lettered", "awaiting_human", "running"]),
    );
    for (const t of tasks) expect(t._count.events).toBe(t.lastSeq); // gapless
    expect(await getDb().escalation.count({ where: { workspaceId: first!.workspaceId } })).toBe(2);
    expect(await seedDemoWorkspace({ adminEmail: "other@example.test", adminPassword: "another-password" })).toBeNull();
  });

  it("gives the demo agent's class two action rules: email allowed (estimated, capped), refunds need approval", async () => {
    const workspace = await getDb().workspace.findUniqueOrThrow({ where: { slug: "demo" }, select: { id: true } });
    const { rules, defaultEffect } = await loadRules(getDb(), workspace.id);
    expect(rules.map(ruleJson)).toMatchObject([
      {
        position: 1,
        name: "send-report-email",
        action: "email.send",
        effect: "allow",
        workflowClass: "invoices",
        maxEstimateUsd: 0.5,
        requireEstimate: true,
      },
      {
        position: 2,
        name: "refunds-need-approval",
        action: "payments.refund",
        effect: "require_approval",
        workflowClass: "invoices",
      },
    ]);
    const identity = await getDb().identity.findFirstOrThrow({
      where: { workspaceId: workspace.id, name: "invoice-bot" },
      select: { workflowClass: { select: { name: true } } },
    });
    const decide = (action: string, usd: string | null) =>
      decideAction(
        rules,
        {
          action,
          workflowClass: identity.workflowClass.name,
          estimate: { usd: usd === null ? null : (parseUsd(usd) as { ok: true; micros: bigint }).micros, tokens: null },
        },
        defaultEffect,
      );
    expect(decide("email.send", "0.002")).toMatchObject({ effect: "allow", rule: { name: "send-report-email" } });
    expect(decide("email.send", "2")).toMatchObject({ effect: "deny" });
    expect(decide("email.send", null)).toMatchObject({ refusal: "estimate_required" });
    expect(decide("payments.refund", "40")).toMatchObject({ effect: "require_approval" });
    expect(decide("payments.charge", "40")).toMatchObject({ effect: "deny", rule: null });
    const audited = await getDb().auditEvent.count({
      where: { workspaceId: workspace.id, action: "action_rule.created" },
    });
    expect(audited).toBe(2);
  });

  it("the admin's first-run password is a one-time password (issue #17), also for an admin seeded before that rule", async () => {
    const admin = await getDb().user.findUniqueOrThrow({ where: { email: "seed-admin@example.test" } });
    expect(admin.mustChangePassword).toBe(true);
    // An older install: seeded without the flag, still on its first-run password (scripts/start.ts finds it).
    await getDb().user.update({ where: { id: admin.id }, data: { mustChangePassword: false } });
    await requireFirstRunPasswordChange(admin.id);
    expect((await getDb().user.findUniqueOrThrow({ where: { id: admin.id } })).mustChangePassword).toBe(true);
    const events = await getDb().auditEvent.findMany({
      where: { action: "auth.password_change_required", target: admin.email },
    });
    expect(events).toHaveLength(1);
  });

  it("gives the demo spend limits (audited) and ten past days of spend within them, none today", async () => {
    const workspace = await getDb().workspace.findUniqueOrThrow({
      where: { slug: "demo" },
      select: {
        id: true,
        timeZone: true,
        dailyUsdLimitMicros: true,
        monthlyUsdLimitMicros: true,
        dailyTokenLimit: true,
      },
    });
    expect(workspace).toMatchObject({
      dailyUsdLimitMicros: 150_000_000n,
      monthlyUsdLimitMicros: 2_000_000_000n,
      dailyTokenLimit: 2_000_000n,
    });
    const invoices = await getDb().workflowClass.findFirstOrThrow({
      where: { workspaceId: workspace.id, name: "invoices" },
    });
    expect(invoices.dailyUsdLimitMicros).toBe(120_000_000n);
    expect(
      await getDb().auditEvent.count({ where: { workspaceId: workspace.id, action: "budget.spend_limits_changed" } }),
    ).toBe(1);
    const series = await spendPerDay(workspace.id, workspace.timeZone);
    const today = series.at(-1)!;
    expect(today).toMatchObject({ spentMicros: 0n, reservedMicros: 0n, spentTokens: 0n });
    const past = series.slice(-1 - DEMO_SPEND_DAYS, -1);
    for (const day of past) {
      expect(day.spentMicros, day.day).toBeGreaterThan(0n);
      expect(day.spentMicros, day.day).toBeLessThanOrEqual(invoices.dailyUsdLimitMicros!);
      expect(day.reservedMicros).toBe(0n);
    }
    // History only: nothing reserved in any counter.
    const reserving = await getDb().action.count({
      where: { workspaceId: workspace.id, NOT: { spendScopes: { isEmpty: true } } },
    });
    expect(reserving).toBe(0);
    const spenders = await spendBySpender(workspace.id, workspace.timeZone);
    expect(
      spenders
        .filter((s) => s.dimension === "action")
        .map((s) => s.id)
        .sort(),
    ).toEqual(expect.arrayContaining(["email.send"]));
  });
});
