import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createFreshDatabase, TEST_APP_ROLE_SECRET } from "@/scripts/lib/test-database";
import { appRoleName, privilegeWarnings, provisionAppDatabase } from "./app-role";

async function one<T extends pg.QueryResultRow>(url: string, sql: string, params: unknown[] = []): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(sql, params)).rows[0]!;
  } finally {
    await client.end();
  }
}

describe("the app's own role (least privilege, issue #18)", () => {
  let db: Awaited<ReturnType<typeof createFreshDatabase>>;
  beforeAll(async () => {
    db = await createFreshDatabase("role");
  });
  afterAll(() => db.drop());

  it("is created from a superuser's URL: no superuser, owns nothing, cannot create roles or databases", async () => {
    const role = appRoleName(new URL(db.ownerUrl).pathname.slice(1));
    expect(decodeURIComponent(new URL(db.url).username)).toBe(role);
    const me = await one<{ rolsuper: boolean; rolcreaterole: boolean; rolcreatedb: boolean; owned: number }>(
      db.url,
      `SELECT rolsuper, rolcreaterole, rolcreatedb,
              (SELECT count(*)::int FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
               WHERE n.nspname = 'public' AND c.relowner = r.oid) AS owned
       FROM pg_roles r WHERE rolname = current_user`,
    );
    expect(me).toEqual({ rolsuper: false, rolcreaterole: false, rolcreatedb: false, owned: 0 });
    expect(await privilegeWarnings(db.url)).toEqual([]);
    // It works with what it needs, and nothing in the migrations' own table.
    await expect(one(db.url, `SELECT count(*) FROM workspace`)).resolves.toBeDefined();
    await expect(one(db.url, `SELECT count(*) FROM _prisma_migrations`)).rejects.toThrow(/permission denied/);
    await expect(one(db.url, `CREATE TABLE mine (id int)`)).rejects.toThrow(/permission denied/);
  });

  it("is idempotent: instances starting at once all arrive at the same role and password", async () => {
    const results = await Promise.all([1, 2, 3, 4].map(() => provisionAppDatabase({ ownerUrl: db.ownerUrl, secret: TEST_APP_ROLE_SECRET })));
    expect(new Set(results.map((r) => r.appUrl))).toEqual(new Set([db.url]));
    await expect(one(db.url, `SELECT 1 AS ok`)).resolves.toEqual({ ok: 1 });
  });

  it("with a separate owner (DATABASE_MIGRATION_URL), grants DATABASE_URL's role and warns about a superuser", async () => {
    const given = await provisionAppDatabase({ ownerUrl: db.ownerUrl, appUrl: db.url, secret: TEST_APP_ROLE_SECRET });
    expect(given).toMatchObject({ appUrl: db.url, warnings: [] });
    const superuser = await provisionAppDatabase({ ownerUrl: db.ownerUrl, appUrl: db.ownerUrl, secret: TEST_APP_ROLE_SECRET });
    expect(superuser.appUrl).not.toBe(db.ownerUrl); // the same URL twice is one owner: BaseKV makes its own role
    expect((await privilegeWarnings(db.ownerUrl))[0]).toMatch(/superuser/);
  });

  it("on managed PostgreSQL (an owner with CREATEROLE, no superuser) every start after the first works too", async () => {
    const name = `basekv_mgd_${Date.now().toString(36)}`;
    const superuser = new pg.Client({ connectionString: db.serverUrl });
    await superuser.connect();
    try {
      await superuser.query(`CREATE ROLE ${name} LOGIN CREATEROLE PASSWORD 'managed-owner-password'`);
      await superuser.query(`CREATE DATABASE ${name} OWNER ${name}`);
      const ownerUrl = new URL(db.serverUrl);
      ownerUrl.username = name;
      ownerUrl.password = "managed-owner-password";
      ownerUrl.pathname = `/${name}`;
      const { migrate } = await import("./migrations");
      await migrate(ownerUrl.toString());
      const first = await provisionAppDatabase({ ownerUrl: ownerUrl.toString(), secret: TEST_APP_ROLE_SECRET });
      const second = await provisionAppDatabase({ ownerUrl: ownerUrl.toString(), secret: TEST_APP_ROLE_SECRET });
      expect(second.appUrl).toBe(first.appUrl);
      expect(first.warnings).toEqual([]);
      await expect(one(first.appUrl, `SELECT count(*)::int AS n FROM workspace`)).resolves.toEqual({ n: 0 });
      await superuser.query(`DROP DATABASE ${name} WITH (FORCE)`);
      await superuser.query(`DROP ROLE IF EXISTS "${first.role}"`);
    } finally {
      await superuser.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch(() => {});
      await superuser.query(`DROP ROLE IF EXISTS ${name}`).catch(() => {});
      await superuser.end();
    }
  });
});
