/**
 * Least privilege (issue #18): the app connects as a role that owns nothing. It may read and write
 * the tables it works with, only read and append to the audit trail (no UPDATE, DELETE or TRUNCATE
 * there — revoked, not merely refused by the triggers), and, owning no table, can neither change the
 * schema nor `ALTER TABLE … DISABLE TRIGGER`. Migrations run as the owner.
 *
 * - `DATABASE_MIGRATION_URL` set: that is the owner; DATABASE_URL is the app's role, as given. The
 *   owner grants it what it needs after migrating.
 * - Otherwise, when DATABASE_URL may create roles (a superuser, as in the embedded default and CI),
 *   BaseKV migrates with it and then creates its own unprivileged role for this database,
 *   `basekv_app_<database>`, idempotently, with a password derived from the owner's (so every process
 *   given the owner's URL — each instance, the CLI, the tests — arrives at the same one, and none
 *   locks the others out), and uses that for everything else.
 * - Otherwise DATABASE_URL is used as given, with a warning when it is a superuser or owns tables.
 */
import { createHmac } from "node:crypto";
import pg from "pg";

/** Only read and appended to by the app: the evidence. */
export const APPEND_ONLY_TABLES = ["audit_event", "audit_seal", "audit_checkpoint", "audit_signing_key"] as const;
/** Not the app's at all. */
const OWNER_ONLY_TABLES = ["_prisma_migrations"] as const;

const ROLE_LOCK_KEY = 72707375;

export type AppDatabase = {
  /** What the app, its jobs and the CLI connect with. */
  appUrl: string;
  /** What migrations (and partition maintenance) run with. */
  ownerUrl: string;
  /** The app's role name. */
  role: string;
  /** Said once at start: the app runs with more rights than it needs. */
  warnings: string[];
};

export function appRoleName(database: string): string {
  const safe = database.toLowerCase().replace(/[^a-z0-9_]/g, "_");
  return `basekv_app_${safe}`.slice(0, 63);
}

function appRolePassword(ownerUrl: string, database: string): string {
  const owner = new URL(ownerUrl);
  return createHmac("sha256", `${decodeURIComponent(owner.username)}:${decodeURIComponent(owner.password)}`)
    .update(`basekv-app-role\n${owner.host}\n${database}`)
    .digest("base64url");
}

function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

function databaseOf(url: string): string {
  return decodeURIComponent(new URL(url).pathname.replace(/^\//, "")) || "postgres";
}

/** Grants the app's role what it needs on every table there is now (run after each migration). */
export async function grantAppPrivileges(owner: pg.Client, role: string): Promise<void> {
  const r = quoteIdent(role);
  const { rows } = await owner.query<{ tablename: string }>(
    `SELECT tablename FROM pg_tables WHERE schemaname = 'public'`,
  );
  const tables = rows.map((row) => row.tablename);
  await owner.query(`GRANT USAGE ON SCHEMA public TO ${r}`);
  await owner.query(`REVOKE CREATE ON SCHEMA public FROM ${r}`);
  for (const table of tables) {
    const t = quoteIdent(table);
    await owner.query(`REVOKE ALL ON TABLE ${t} FROM ${r}`);
    if ((OWNER_ONLY_TABLES as readonly string[]).includes(table)) continue;
    const privileges = (APPEND_ONLY_TABLES as readonly string[]).includes(table)
      ? "SELECT, INSERT"
      : "SELECT, INSERT, UPDATE, DELETE";
    await owner.query(`GRANT ${privileges} ON TABLE ${t} TO ${r}`);
  }
  await owner.query(`GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO ${r}`);
  await owner.query(`GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA public TO ${r}`);
}

/**
 * After migrating with `ownerUrl`: the URL the app uses, creating its role first when the owner may.
 * `appUrl` is DATABASE_URL when an owner was given apart (DATABASE_MIGRATION_URL).
 */
export async function provisionAppDatabase(input: { ownerUrl: string; appUrl?: string }): Promise<AppDatabase> {
  const database = databaseOf(input.ownerUrl);
  const owner = new pg.Client({ connectionString: input.ownerUrl });
  await owner.connect();
  try {
    await owner.query("BEGIN");
    // Instances starting together: one creates the role, the others find it.
    await owner.query("SELECT pg_advisory_xact_lock($1)", [ROLE_LOCK_KEY]);
    if (input.appUrl && input.appUrl !== input.ownerUrl) {
      const role = decodeURIComponent(new URL(input.appUrl).username) || "postgres";
      await grantAppPrivileges(owner, role);
      await owner.query("COMMIT");
      return { appUrl: input.appUrl, ownerUrl: input.ownerUrl, role, warnings: await privilegeWarnings(input.appUrl) };
    }
    const [me] = (
      await owner.query<{ rolsuper: boolean; rolcreaterole: boolean; rolname: string }>(
        `SELECT rolsuper, rolcreaterole, rolname FROM pg_roles WHERE rolname = current_user`,
      )
    ).rows;
    if (!me?.rolsuper && !me?.rolcreaterole) {
      await owner.query("COMMIT");
      return {
        appUrl: input.ownerUrl,
        ownerUrl: input.ownerUrl,
        role: me?.rolname ?? "",
        warnings: await privilegeWarnings(input.ownerUrl),
      };
    }
    const role = appRoleName(database);
    const password = appRolePassword(input.ownerUrl, database);
    const exists = (await owner.query(`SELECT 1 FROM pg_roles WHERE rolname = $1`, [role])).rowCount;
    const attributes = "LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS NOINHERIT";
    // The password is a literal (no parameters in utility statements); it is base64url, nothing to escape.
    await owner.query(
      `${exists ? "ALTER" : "CREATE"} ROLE ${quoteIdent(role)} WITH ${attributes} PASSWORD '${password}'`,
    );
    await owner.query(`GRANT CONNECT, TEMPORARY ON DATABASE ${quoteIdent(database)} TO ${quoteIdent(role)}`);
    await grantAppPrivileges(owner, role);
    await owner.query("COMMIT");
    const appUrl = new URL(input.ownerUrl);
    appUrl.username = encodeURIComponent(role);
    appUrl.password = encodeURIComponent(password);
    return { appUrl: appUrl.toString(), ownerUrl: input.ownerUrl, role, warnings: [] };
  } catch (error) {
    await owner.query("ROLLBACK").catch(() => {});
    throw error;
  } finally {
    await owner.end();
  }
}

/** Why the app's own connection has more rights than it should (none, ideally). */
export async function privilegeWarnings(url: string): Promise<string[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ superuser: boolean; owned: string[] }>(
      `SELECT (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) AS superuser,
              ARRAY(SELECT tablename::text FROM pg_tables
                    WHERE schemaname = 'public' AND tableowner = current_user ORDER BY 1) AS owned`,
    );
    const warnings: string[] = [];
    if (rows[0]?.superuser)
      warnings.push(
        "the app connects as a PostgreSQL superuser: anyone who takes over the app can rewrite the audit trail. " +
          "Give DATABASE_URL an unprivileged role and DATABASE_MIGRATION_URL the owner (README, Running in production).",
      );
    else if (rows[0]?.owned.length)
      warnings.push(
        `the app's role owns ${rows[0].owned.length} table(s) (e.g. ${rows[0].owned[0]}): it can disable the audit triggers. ` +
          "Migrate as another role (DATABASE_MIGRATION_URL).",
      );
    return warnings;
  } finally {
    await client.end();
  }
}
