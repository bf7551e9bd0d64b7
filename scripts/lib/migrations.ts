import { createHash, randomUUID } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import pg from "pg";
import { ROOT } from "./paths";

/**
 * Applies prisma/migrations/<timestamp>_<name>/migration.sql in order, each in
 * its own transaction, recording them in Prisma's `_prisma_migrations` table
 * exactly as `prisma migrate deploy` does (so either tool can take over). It
 * refuses to run when an applied migration's file has changed or a previous
 * attempt failed half-way; re-running applies nothing new.
 *
 * Then the database's functions: prisma/sql/<name>.sql holds the current
 * definition of each (`CREATE OR REPLACE FUNCTION`), and every run applies them
 * all, in one transaction, after the migrations — so a function is written once,
 * its change is a diff of one file, and no migration carries a copy of it.
 * Migrations hold tables, indexes and data; a migration drops a function whose
 * arguments change (the file then creates the new one) or that is no longer used.
 *
 * A migration with a `replaces` file stands for older migrations squashed into it
 * (20261202004000_baseline): run on a new database, recorded without running on
 * one that has applied every migration it replaces, and refused on one that has
 * applied only some (upgrade it with an earlier release first).
 */
export type Migration = {
  name: string;
  sql: string;
  checksum: string;
  /**
   * The migrations this one stands for (its `replaces` file: one name a line), as a squashed
   * baseline does: a database that has applied all of them records this one without running it.
   */
  replaces: string[];
};
export type FunctionFile = { name: string; sql: string };
export type MigrateResult = { applied: string[]; alreadyApplied: number; functions: number };

export class MigrationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "MigrationError";
  }
}

export const DEFAULT_MIGRATIONS_DIR = path.join(ROOT, "prisma", "migrations");
export const DEFAULT_FUNCTIONS_DIR = path.join(ROOT, "prisma", "sql");

// Any constant works; it only has to be the same for every process that migrates.
const MIGRATION_LOCK_KEY = 72707369;

export async function readMigrations(dir: string = DEFAULT_MIGRATIONS_DIR): Promise<Migration[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const names = entries
    .filter((e) => e.isDirectory() && /^\d{14}_[a-z0-9_]+$/.test(e.name))
    .map((e) => e.name)
    .sort();
  return Promise.all(
    names.map(async (name) => {
      const sql = await readFile(path.join(dir, name, "migration.sql"), "utf8");
      const replaces = await readFile(path.join(dir, name, "replaces"), "utf8").then(
        (text) =>
          text
            .split("\n")
            .map((line) => line.trim())
            .filter(Boolean),
        () => [],
      );
      return { name, sql, checksum: createHash("sha256").update(sql).digest("hex"), replaces };
    }),
  );
}

/** prisma/sql/*.sql, by name: one function each, named like its file. */
export async function readFunctionFiles(dir: string = DEFAULT_FUNCTIONS_DIR): Promise<FunctionFile[]> {
  const names = (await readdir(dir)).filter((f) => /^[a-z0-9_]+\.sql$/.test(f)).sort();
  return Promise.all(
    names.map(async (file) => ({
      name: file.slice(0, -".sql".length),
      sql: await readFile(path.join(dir, file), "utf8"),
    })),
  );
}

const CREATE_TABLE = `
CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
  "id"                  VARCHAR(36) PRIMARY KEY NOT NULL,
  "checksum"            VARCHAR(64) NOT NULL,
  "finished_at"         TIMESTAMPTZ,
  "migration_name"      VARCHAR(255) NOT NULL,
  "logs"                TEXT,
  "rolled_back_at"      TIMESTAMPTZ,
  "started_at"          TIMESTAMPTZ NOT NULL DEFAULT now(),
  "applied_steps_count" INTEGER NOT NULL DEFAULT 0
)`;

type AppliedRow = { migration_name: string; checksum: string; finished_at: Date | null; rolled_back_at: Date | null };

export async function migrate(
  databaseUrl: string,
  options: {
    dir?: string;
    /** Default: prisma/sql with the default migrations, none with another `dir` (the runner's own tests). */
    functionsDir?: string | null;
    log?: (line: string) => void;
  } = {},
): Promise<MigrateResult> {
  const log = options.log ?? (() => {});
  const migrations = await readMigrations(options.dir);
  const functionsDir =
    options.functionsDir === undefined ? (options.dir ? null : DEFAULT_FUNCTIONS_DIR) : options.functionsDir;
  const functions = functionsDir ? await readFunctionFiles(functionsDir) : [];
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    // Several app instances may start at once: one migrates, the others wait and find nothing to do.
    await client.query("SELECT pg_advisory_lock($1)", [MIGRATION_LOCK_KEY]);
    await client.query(CREATE_TABLE);
    const { rows } = await client.query<AppliedRow>(
      `SELECT migration_name, checksum, finished_at, rolled_back_at FROM "_prisma_migrations"`,
    );
    const applied = new Map(rows.filter((r) => !r.rolled_back_at).map((r) => [r.migration_name, r]));

    // Check everything before changing anything.
    for (const row of applied.values()) {
      if (!row.finished_at) {
        throw new MigrationError(
          `Migration ${row.migration_name} started but never finished; inspect the database, then mark it rolled back.`,
        );
      }
      const file = migrations.find((m) => m.name === row.migration_name);
      if (file && file.checksum !== row.checksum) {
        throw new MigrationError(
          `Migration ${row.migration_name} was changed after it was applied (checksum differs). ` +
            `Never edit an applied migration: add a new one instead.`,
        );
      }
    }

    const pending = migrations.filter((m) => !applied.has(m.name));
    for (const migration of pending) {
      const replacedApplied = migration.replaces.filter((name) => applied.has(name));
      if (replacedApplied.length > 0 && replacedApplied.length < migration.replaces.length) {
        const missing = migration.replaces.filter((name) => !applied.has(name));
        throw new MigrationError(
          `This database has applied ${replacedApplied.length} of the ${migration.replaces.length} migrations that ` +
            `${migration.name} replaces (not ${missing.join(", ")}). Upgrade it with a BaseKV release from before ` +
            `${migration.name.slice(0, 8)} first, which applies them, then run this one.`,
        );
      }
      const recordOnly = replacedApplied.length > 0;
      log(
        recordOnly
          ? `recording ${migration.name} (this database has applied every migration it replaces)`
          : `applying ${migration.name}`,
      );
      await client.query("BEGIN");
      try {
        if (!recordOnly) await client.query(migration.sql);
        await client.query(
          `INSERT INTO "_prisma_migrations" (id, checksum, finished_at, migration_name, started_at, applied_steps_count)
           VALUES ($1, $2, now(), $3, now(), 1)`,
          [randomUUID(), migration.checksum, migration.name],
        );
        await client.query("COMMIT");
        applied.set(migration.name, {
          migration_name: migration.name,
          checksum: migration.checksum,
          finished_at: new Date(),
          rolled_back_at: null,
        });
      } catch (error) {
        await client.query("ROLLBACK");
        const reason = error instanceof Error ? error.message : String(error);
        throw new MigrationError(`Migration ${migration.name} failed and was rolled back: ${reason}`);
      }
    }
    if (functions.length > 0) {
      await client.query("BEGIN");
      try {
        for (const fn of functions) await client.query(fn.sql);
        await client.query("COMMIT");
      } catch (error) {
        await client.query("ROLLBACK");
        const reason = error instanceof Error ? error.message : String(error);
        throw new MigrationError(`The database functions (prisma/sql) could not be applied, none was: ${reason}`);
      }
    }
    return { applied: pending.map((m) => m.name), alreadyApplied: applied.size, functions: functions.length };
  } finally {
    await client.query("SELECT pg_advisory_unlock($1)", [MIGRATION_LOCK_KEY]).catch(() => {});
    await client.end();
  }
}
