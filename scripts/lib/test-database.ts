/**
 * A fresh, migrated database for one test run, on the server given by
 * TEST_DATABASE_SERVER_URL (set by scripts/test.ts), else DATABASE_URL's
 * server, else the embedded one. Dropped afterwards unless KEEP_TEST_DB=1.
 */
import { randomBytes } from "node:crypto";
import pg from "pg";
import { provisionAppDatabase } from "./app-role";
import { migrate } from "./migrations";
import { resolveDatabase } from "./runtime";

export function withDatabase(serverUrl: string, database: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${database}`;
  return url.toString();
}

export async function testServerUrl(): Promise<{ url: string; close: () => Promise<void> }> {
  if (process.env.TEST_DATABASE_SERVER_URL) return { url: process.env.TEST_DATABASE_SERVER_URL, close: async () => {} };
  const handle = await resolveDatabase(() => {}, "postgres");
  return { url: withDatabase(handle.url, "postgres"), close: handle.close };
}

/**
 * `url` is the app's own unprivileged role on it (what the app, its jobs and the CLI use, as in
 * production); `ownerUrl` the server's superuser (migrations, `npm start`, attacks in tests).
 */
/** The app role's password of a test database derives from this, unless the caller gives its AUTH_SECRET. */
export const TEST_APP_ROLE_SECRET = "basekv-test-databases-app-role-secret-0123456789";

export async function createFreshDatabase(
  label: string,
  options: { authSecret?: string } = {},
): Promise<{ url: string; ownerUrl: string; serverUrl: string; drop: () => Promise<void> }> {
  const server = await testServerUrl();
  const name = `basekv_test_${label}_${Date.now()}_${randomBytes(3).toString("hex")}`;
  const admin = new pg.Client({ connectionString: server.url });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${name}"`);
  await admin.end();
  const ownerUrl = withDatabase(server.url, name);
  await migrate(ownerUrl);
  const app = await provisionAppDatabase({ ownerUrl, secret: options.authSecret ?? TEST_APP_ROLE_SECRET });
  return {
    url: app.appUrl,
    ownerUrl,
    serverUrl: server.url,
    drop: async () => {
      if (process.env.KEEP_TEST_DB !== "1") {
        const client = new pg.Client({ connectionString: server.url });
        await client.connect();
        await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
        // Roles belong to the server, not the database: the app's goes with its database.
        if (app.appUrl !== ownerUrl) await client.query(`DROP ROLE IF EXISTS "${app.role}"`);
        await client.end();
      }
      await server.close();
    },
  };
}
