/**
 * What `npm start`, `npm run admin` and `npm test` share: where the database
 * is (DATABASE_URL, or the embedded one), the role the app uses there
 * (app-role.ts), and the AUTH_SECRET kept in .data/.
 */
import { generateKeyPairSync, randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { provisionAppDatabase, type AppDatabase } from "./app-role";
import { startEmbeddedPostgres, type EmbeddedPostgres } from "./embedded-postgres";
import { DATA_DIR } from "./paths";

export type DatabaseHandle = { url: string; embedded: EmbeddedPostgres | null; close: () => Promise<void> };

export const APP_DATABASE = "basekv";

/** The owner's connection: DATABASE_MIGRATION_URL, else DATABASE_URL, else the embedded server's superuser. */
export async function resolveDatabase(log: (line: string) => void, database = APP_DATABASE): Promise<DatabaseHandle> {
  const fromEnv = process.env.DATABASE_MIGRATION_URL || process.env.DATABASE_URL;
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

/**
 * The owner's database, migrated when `migrate` is set, and the app's own role on it: what every
 * process but the migrator connects with (DATABASE_URL is set to it for this process).
 */
export async function openAppDatabase(
  log: (line: string) => void,
  options: { migrate: boolean },
): Promise<{ handle: DatabaseHandle; app: AppDatabase }> {
  const given = process.env.DATABASE_MIGRATION_URL ? process.env.DATABASE_URL : undefined;
  // Only migrating processes (npm start, db:migrate) create the role and grant; the CLI looks it up.
  const handle = await resolveDatabase(log);
  try {
    if (options.migrate) {
      const { migrate } = await import("./migrations");
      const result = await migrate(handle.url, { log: (line) => log(`migrations: ${line}`) });
      log(`database ready (${result.applied.length} new migration(s), ${result.alreadyApplied} already applied)`);
    }
    const app = await provisionAppDatabase({
      ownerUrl: handle.url,
      appUrl: given,
      secret: ensureAuthSecret(),
      provision: options.migrate,
    });
    for (const warning of app.warnings) log(`WARNING: ${warning}`);
    process.env.DATABASE_URL = app.appUrl;
    // The owner's credentials stay with this process: nothing it starts (the web server) inherits them.
    delete process.env.DATABASE_MIGRATION_URL;
    return { handle, app };
  } catch (error) {
    await handle.close();
    throw error;
  }
}

/**
 * AUDIT_SIGNING_KEY (the Ed25519 key that signs audit checkpoints) from the environment, or generated
 * once and kept in .data/audit-signing-key — never in the database (issue #18).
 */
export function ensureAuditSigningKey(): string {
  if (process.env.AUDIT_SIGNING_KEY) return process.env.AUDIT_SIGNING_KEY;
  const file = path.join(DATA_DIR, "audit-signing-key");
  if (existsSync(file)) return readFileSync(file, "utf8").trim();
  mkdirSync(DATA_DIR, { recursive: true, mode: 0o700 });
  const { privateKey } = generateKeyPairSync("ed25519");
  const key = privateKey.export({ format: "der", type: "pkcs8" }).toString("base64url");
  writeFileSync(file, `${key}\n`, { mode: 0o600 });
  return key;
}
