import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readFunctionFiles, type FunctionFile } from "@/scripts/lib/migrations";

/**
 * prisma/sql/<name>.sql is each database function's one definition (the migration runner applies
 * them after the migrations). The migrated database and the files must agree, as the schema-drift
 * test holds schema.prisma to the tables: every function the database has is a file (none created
 * by a migration on the side), every file is one function named like it, a changed signature left
 * no overload behind (a migration must drop the old one), and each function's definition
 * (pg_get_functiondef: arguments, result, language, settings, body) is exactly what its file defines.
 */
describe("the database's functions are the files in prisma/sql", () => {
  let owner: pg.Client;
  let files: FunctionFile[];
  beforeAll(async () => {
    owner = new pg.Client({ connectionString: process.env.TEST_DATABASE_OWNER_URL });
    await owner.connect();
    files = await readFunctionFiles();
  });
  afterAll(async () => owner.end());

  async function definitions(schema: string): Promise<Map<string, string>> {
    const { rows } = await owner.query<{ name: string; definition: string }>(
      `SELECT p.proname AS name, pg_get_functiondef(p.oid) AS definition
       FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
       WHERE n.nspname = $1 AND p.prokind = 'f'
         AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = p.oid AND d.deptype = 'e')
       ORDER BY p.proname`,
      [schema],
    );
    const byName = new Map<string, string>();
    for (const row of rows) {
      expect(byName.has(row.name), `${row.name} is overloaded: drop the old signature in a migration`).toBe(false);
      byName.set(row.name, row.definition.replaceAll(`${schema}.`, "<schema>."));
    }
    return byName;
  }

  it("has a file for every function, and a function for every file", async () => {
    const inDatabase = [...(await definitions("public")).keys()];
    expect(inDatabase).toEqual(files.map((f) => f.name));
  });

  it("defines each function exactly as its file does", async () => {
    const migrated = await definitions("public");
    await owner.query("BEGIN");
    try {
      // Each file, applied again in a scratch schema searched first: what the file defines today.
      await owner.query("CREATE SCHEMA function_file_check");
      await owner.query("SET LOCAL search_path = function_file_check, public");
      for (const file of files) await owner.query(file.sql);
      const fromFiles = await definitions("function_file_check");
      expect([...fromFiles.keys()]).toEqual(files.map((f) => f.name));
      for (const file of files) {
        expect(migrated.get(file.name), `${file.name}: the database differs from prisma/sql/${file.name}.sql`).toBe(
          fromFiles.get(file.name),
        );
      }
    } finally {
      await owner.query("ROLLBACK");
    }
  });
});
