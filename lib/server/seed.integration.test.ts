import { describe, expect, it } from "vitest";
import { decideAction } from "@/lib/core/action-rules";
import { parseUsd } from "@/lib/core/money";
import { loadRules, ruleJson } from "./actions/rules";
import { getDb } from "./db";
import { requireFirstRunPasswordChange, seedDemoWorkspace } from "./seed";

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
});
