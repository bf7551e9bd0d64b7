import pg from "pg";
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

  it("is append-only: the app's role may not UPDATE, DELETE, TRUNCATE or disable the triggers; the owner's triggers refuse too", async () => {
    const { workspace } = await seedWorkspace(["admin"]);
    const db = getDb();
    // The app's role (what the app, its jobs and the CLI connect as): refused by PostgreSQL's permissions.
    for (const [table, column] of [
      ["audit_event", "reason"],
      ["audit_seal", "hash"],
      ["audit_checkpoint", "hash"],
      ["audit_signing_key", "signature"],
    ]) {
      await expect(db.$executeRawUnsafe(`UPDATE ${table} SET ${column} = ${column}`), table).rejects.toThrow(
        /permission denied/,
      );
      await expect(db.$executeRawUnsafe(`DELETE FROM ${table}`), table).rejects.toThrow(/permission denied/);
      await expect(db.$executeRawUnsafe(`TRUNCATE ${table}`), table).rejects.toThrow(/permission denied/);
      await expect(db.$executeRawUnsafe(`ALTER TABLE ${table} DISABLE TRIGGER USER`), table).rejects.toThrow(
        /must be owner/,
      );
    }
    await expect(db.$executeRawUnsafe(`SET session_replication_role = replica`)).rejects.toThrow(/permission denied/);
    await expect(db.$executeRawUnsafe(`CREATE TABLE evil (id int)`)).rejects.toThrow(/permission denied/);
    // The owner (the migrator's role): the triggers refuse it as well; only turning them off would do.
    const owner = new pg.Client({ connectionString: process.env.TEST_DATABASE_OWNER_URL });
    await owner.connect();
    try {
      await expect(owner.query(`UPDATE audit_event SET reason = 'edited' WHERE workspace_id = $1`, [workspace.id])).rejects.toThrow(
        /append-only/,
      );
      await expect(owner.query(`DELETE FROM audit_event WHERE workspace_id = $1`, [workspace.id])).rejects.toThrow(
        /append-only/,
      );
      await expect(owner.query(`TRUNCATE audit_event`)).rejects.toThrow(/append-only|foreign key/);
    } finally {
      await owner.end();
    }
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
