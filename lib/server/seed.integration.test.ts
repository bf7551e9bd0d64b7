import { describe, expect, it } from "vitest";
import { getDb } from "./db";
import { seedDemoWorkspace } from "./seed";

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
});
