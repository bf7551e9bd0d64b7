import { describe, expect, it } from "vitest";
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
