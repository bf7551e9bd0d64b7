import { mkdtemp, mkdir, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createFreshDatabase } from "@/scripts/lib/test-database";
import { migrate, MigrationError, readMigrations } from "./migrations";

async function scratchMigrations(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "basekv-migrations-"));
  for (const [name, sql] of Object.entries(files)) {
    await mkdir(path.join(dir, name));
    await writeFile(path.join(dir, name, "migration.sql"), sql);
  }
  return dir;
}

async function query<T extends pg.QueryResultRow>(url: string, sql: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(sql)).rows;
  } finally {
    await client.end();
  }
}

describe("migration runner", () => {
  let db: Awaited<ReturnType<typeof createFreshDatabase>>;
  beforeAll(async () => {
    // createFreshDatabase already applied the real migrations once.
    db = await createFreshDatabase("mig");
  });
  afterAll(async () => db.drop());

  it("records applied migrations in Prisma's _prisma_migrations format", async () => {
    const files = await readMigrations();
    const rows = await query<{
      migration_name: string;
      checksum: string;
      finished_at: Date;
      applied_steps_count: number;
    }>(
      db.ownerUrl,
      `SELECT migration_name, checksum, finished_at, applied_steps_count FROM "_prisma_migrations" ORDER BY migration_name`,
    );
    expect(rows.map((r) => r.migration_name)).toEqual(files.map((f) => f.name));
    for (const [i, row] of rows.entries()) {
      expect(row.checksum).toBe(files[i]!.checksum);
      expect(row.checksum).toMatch(/^[0-9a-f]{64}$/);
      expect(row.finished_at).toBeInstanceOf(Date);
      expect(row.applied_steps_count).toBe(1);
    }
  });

  it("is idempotent: a second run applies nothing", async () => {
    const result = await migrate(db.ownerUrl);
    expect(result.applied).toEqual([]);
    expect(result.alreadyApplied).toBe((await readMigrations()).length);
  });

  it("refuses to run when an applied migration's file has changed, and changes nothing", async () => {
    const dir = await scratchMigrations({
      "20990101000000_one": `CREATE TABLE scratch_one (id int);`,
    });
    const scratch = await createFreshDatabase("mig_changed");
    try {
      await migrate(scratch.ownerUrl, { dir });
      const edited = await scratchMigrations({
        "20990101000000_one": `CREATE TABLE scratch_one (id int, extra text);`,
        "20990102000000_two": `CREATE TABLE scratch_two (id int);`,
      });
      await expect(migrate(scratch.ownerUrl, { dir: edited })).rejects.toThrow(/20990101000000_one was changed/);
      await expect(migrate(scratch.ownerUrl, { dir: edited })).rejects.toBeInstanceOf(MigrationError);
      const tables = await query<{ table_name: string }>(
        scratch.ownerUrl,
        `SELECT table_name FROM information_schema.tables WHERE table_name LIKE 'scratch_%'`,
      );
      expect(tables.map((t) => t.table_name)).toEqual(["scratch_one"]);
    } finally {
      await scratch.drop();
    }
  });

  it("rolls back a failing migration completely and records nothing for it", async () => {
    const scratch = await createFreshDatabase("mig_fail");
    try {
      const dir = await scratchMigrations({
        "20990101000000_ok": `CREATE TABLE scratch_ok (id int);`,
        "20990102000000_broken": `CREATE TABLE scratch_half (id int); SELECT * FROM no_such_table;`,
      });
      await expect(migrate(scratch.ownerUrl, { dir })).rejects.toThrow(/20990102000000_broken failed and was rolled back/);
      const tables = await query<{ table_name: string }>(
        scratch.ownerUrl,
        `SELECT table_name FROM information_schema.tables WHERE table_name LIKE 'scratch_%' ORDER BY 1`,
      );
      expect(tables.map((t) => t.table_name)).toEqual(["scratch_ok"]);
      const recorded = await query<{ migration_name: string }>(
        scratch.ownerUrl,
        `SELECT migration_name FROM "_prisma_migrations" WHERE migration_name LIKE '2099%'`,
      );
      expect(recorded.map((r) => r.migration_name)).toEqual(["20990101000000_ok"]);
    } finally {
      await scratch.drop();
    }
  });

  it("lets concurrent runners race safely: each migration is applied once", async () => {
    const scratch = await createFreshDatabase("mig_race");
    try {
      const dir = await scratchMigrations({ "20990101000000_once": `CREATE TABLE scratch_once (id int);` });
      const results = await Promise.all([1, 2, 3].map(() => migrate(scratch.ownerUrl, { dir })));
      expect(results.flatMap((r) => r.applied)).toEqual(["20990101000000_once"]);
    } finally {
      await scratch.drop();
    }
  });
});
