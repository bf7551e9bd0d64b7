import { describe, expect, it } from "vitest";
import { seedWorkspace, testActor } from "@/tests/fixtures";
import { writeAudit } from "./audit";
import { getDb } from "./db";

describe("audit trail", () => {
  it("writes the event with all fields and strips secrets from details", async () => {
    const { workspace } = await seedWorkspace(["admin"]);
    await writeAudit(getDb(), {
      workspaceId: workspace.id,
      actor: testActor,
      action: "test.recorded",
      outcome: "conflict",
      namespace: "billing.runs",
      target: "key-1",
      reason: "because",
      correlationId: "corr_1",
      requestId: "req_1",
      details: { password: "p4ssw0rd-secret", versionBefore: 1 },
    });
    const event = await getDb().auditEvent.findFirstOrThrow({
      where: { workspaceId: workspace.id, action: "test.recorded" },
    });
    expect(event).toMatchObject({
      actorType: "cli",
      actorName: "test-suite",
      outcome: "conflict",
      namespace: "billing.runs",
      target: "key-1",
      reason: "because",
      correlationId: "corr_1",
      requestId: "req_1",
      details: { password: "[redacted]", versionBefore: 1 },
    });
  });

  it("is append-only: the database refuses UPDATE, DELETE and TRUNCATE", async () => {
    const { workspace } = await seedWorkspace(["admin"]);
    const db = getDb();
    await expect(
      db.$executeRaw`UPDATE audit_event SET reason = 'edited' WHERE workspace_id = ${workspace.id}`,
    ).rejects.toThrow(/append-only/);
    await expect(db.$executeRaw`DELETE FROM audit_event WHERE workspace_id = ${workspace.id}`).rejects.toThrow(
      /append-only/,
    );
    await expect(db.$executeRawUnsafe(`TRUNCATE audit_event`)).rejects.toThrow(/append-only|foreign key/);
    expect(await db.auditEvent.count({ where: { workspaceId: workspace.id } })).toBeGreaterThan(0);
  });

  it("commits with the change or not at all", async () => {
    const { workspace } = await seedWorkspace(["admin"]);
    const db = getDb();
    await expect(
      db.$transaction(async (tx) => {
        await writeAudit(tx, { workspaceId: workspace.id, actor: testActor, action: "test.rolled_back" });
        throw new Error("the change failed");
      }),
    ).rejects.toThrow("the change failed");
    expect(await db.auditEvent.count({ where: { action: "test.rolled_back" } })).toBe(0);
  });
});
