import { readFileSync } from "node:fs";
import path from "node:path";
import pg from "pg";
import { expect, test } from "./fixtures";

/**
 * `npm start` was given the database's owner (a superuser, as in CI): it migrated with it and runs
 * the app — the web server, its background jobs — as a role of its own that owns nothing (issue #18).
 */
test("the running app connects to PostgreSQL only as its own unprivileged role", async ({ request }) => {
  expect((await request.get("/api/health")).status()).toBe(200); // the pool has a connection now
  const { ownerUrl } = JSON.parse(readFileSync(path.join(process.cwd(), "e2e", ".state", "login.json"), "utf8")) as {
    ownerUrl: string;
  };
  const owner = new pg.Client({ connectionString: ownerUrl });
  await owner.connect();
  try {
    const { rows } = await owner.query<{ usename: string; rolsuper: boolean }>(
      `SELECT DISTINCT a.usename, r.rolsuper FROM pg_stat_activity a JOIN pg_roles r ON r.rolname = a.usename
       WHERE a.datname = current_database() AND a.pid <> pg_backend_pid() AND a.backend_type = 'client backend'`,
    );
    expect(rows.length).toBeGreaterThan(0);
    for (const row of rows) {
      expect(row.usename).toMatch(/^basekv_app_/);
      expect(row.rolsuper).toBe(false);
    }
  } finally {
    await owner.end();
  }
});
