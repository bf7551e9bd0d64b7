import { mkdtemp, mkdir, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createFreshDatabase } from "@/scripts/lib/test-database";
import { migrate, MigrationError, readMigrations } from "./migrations";

async function scratchMigrations(files: Record<string, string | { sql: string; replaces: string[] }>): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "basekv-migrations-"));
  for (const [name, file] of Object.entries(files)) {
    await mkdir(path.join(dir, name));
    await writeFile(path.join(dir, name, "migration.sql"), typeof file === "string" ? file : file.sql);
    if (typeof file !== "string") await writeFile(path.join(dir, name, "replaces"), file.replaces.join("\n") + "\n");
  }
  return dir;
}

async function scratchTables(url: string): Promise<string[]> {
  const rows = await query<{ table_name: string }>(
    url,
    `SELECT table_name FROM information_schema.tables WHERE table_name LIKE 'squash_%' ORDER BY 1`,
  );
  return rows.map((r) => r.table_name);
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
      await expect(migrate(scratch.ownerUrl, { dir })).rejects.toThrow(
        /20990102000000_broken failed and was rolled back/,
      );
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

  it("records a squashed baseline where every migration it replaces is applied, runs it on a new database, refuses part-way", async () => {
    const old = await scratchMigrations({
      "20990101000000_a": `CREATE TABLE squash_a (id int);`,
      "20990102000000_b": `CREATE TABLE squash_b (id int);`,
    });
    const squashed = await scratchMigrations({
      "20990103000000_baseline": {
        sql: `CREATE TABLE squash_a (id int); CREATE TABLE squash_b (id int);`,
        replaces: ["20990101000000_a", "20990102000000_b"],
      },
      "20990104000000_c": `CREATE TABLE squash_c (id int);`,
    });
    const upgraded = await createFreshDatabase("mig_squash_up");
    const partWay = await createFreshDatabase("mig_squash_part");
    const fresh = await createFreshDatabase("mig_squash_new");
    try {
      await migrate(upgraded.ownerUrl, { dir: old });
      // Recorded, not run (running it would fail: its tables exist).
      const result = await migrate(upgraded.ownerUrl, { dir: squashed });
      expect(result.applied).toEqual(["20990103000000_baseline", "20990104000000_c"]);
      expect(await scratchTables(upgraded.ownerUrl)).toEqual(["squash_a", "squash_b", "squash_c"]);

      await migrate(partWay.ownerUrl, {
        dir: await scratchMigrations({ "20990101000000_a": `CREATE TABLE squash_a (id int);` }),
      });
      await expect(migrate(partWay.ownerUrl, { dir: squashed })).rejects.toThrow(
        /applied 1 of the 2 migrations that 20990103000000_baseline replaces \(not 20990102000000_b\)/,
      );
      expect(await scratchTables(partWay.ownerUrl)).toEqual(["squash_a"]);

      expect((await migrate(fresh.ownerUrl, { dir: squashed })).applied).toHaveLength(2);
      expect(await scratchTables(fresh.ownerUrl)).toEqual(["squash_a", "squash_b", "squash_c"]);
    } finally {
      await Promise.all([upgraded.drop(), partWay.drop(), fresh.drop()]);
    }
  });

  it("applies the function files after the migrations, all of them or none", async () => {
    const scratch = await createFreshDatabase("mig_functions");
    try {
      const dir = await scratchMigrations({ "20990101000000_t": `CREATE TABLE squash_t (id int);` });
      const functions = await mkdtemp(path.join(os.tmpdir(), "basekv-functions-"));
      await writeFile(
        path.join(functions, "squash_count.sql"),
        `CREATE OR REPLACE FUNCTION squash_count() RETURNS bigint LANGUAGE sql AS $$ SELECT count(*) FROM squash_t $$;`,
      );
      await writeFile(path.join(functions, "squash_zbroken.sql"), `CREATE OR REPLACE FUNCTION squash_zbroken( RETURNS`);
      await expect(migrate(scratch.ownerUrl, { dir, functionsDir: functions })).rejects.toThrow(
        /functions \(prisma\/sql\) could not be applied, none was/,
      );
      const defined = async () =>
        (
          await query<{ n: string }>(
            scratch.ownerUrl,
            `SELECT count(*) AS n FROM pg_proc WHERE proname LIKE 'squash_%'`,
          )
        )[0]!.n;
      expect(await defined()).toBe("0");
      await rm(path.join(functions, "squash_zbroken.sql"));
      const result = await migrate(scratch.ownerUrl, { dir, functionsDir: functions });
      expect(result).toMatchObject({ applied: [], functions: 1 }); // the migration itself committed before
      expect(await query(scratch.ownerUrl, `SELECT squash_count() AS n`)).toEqual([{ n: "0" }]);
    } finally {
      await scratch.drop();
    }
  });
});
