/**
 * What `npm start`, `npm run admin` and `npm test` share: where the database
 * is (DATABASE_URL, or the embedded one), and the AUTH_SECRET kept in .data/.
 */
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { startEmbeddedPostgres, type EmbeddedPostgres } from "./embedded-postgres";
import { DATA_DIR } from "./paths";

export type DatabaseHandle = { url: string; embedded: EmbeddedPostgres | null; close: () => Promise<void> };

export const APP_DATABASE = "basekv";

export async function resolveDatabase(log: (line: string) => void, database = APP_DATABASE): Promise<DatabaseHandle> {
  const fromEnv = process.env.DATABASE_URL;
  if (fromEnv) return { url: fromEnv, embedded: null, close: async () => {} };
  const embedded = await startEmbeddedPostgres(log);
  await ensureDatabase(embedded.url("postgres"), database);
  return { url: embedded.url(database), embedded, close: () => embedded.stop() };
}

export async function ensureDatabase(adminUrl: string, database: string): Promise<void> {
  const { default: pg } = await import("pg");
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const { rowCount } = await client.query("SELECT 1 FROM pg_database WHERE datname = $1", [database]);
    if (!rowCount) await client.query(`CREATE DATABASE "${database.replace(/"/g, '""')}"`);
  } finally {
    await client.end();
  }
}

/** AUTH_SECRET from the environment, or generated once and kept in .data/auth-secret. */
export function ensureAuthSecret(): string {
  if (process.env.AUTH_SECRET) return process.env.AUTH_SECRET;
  const file = path.join(DATA_DIR, "auth-secret");
  if (existsSync(file)) return readFileSync(file, "utf8").trim();
  mkdirSync(DATA_DIR, { recursive: true, mode: 0o700 });
  const secret = randomBytes(32).toString("base64url");
  writeFileSync(file, `${secret}\n`, { mode: 0o600 });
  return secret;
}
