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
 *   `basekv_app_<database>_<hash>`, idempotently, with a password derived from AUTH_SECRET (which
 *   every instance shares already, so none locks the others out; it is set as a SCRAM verifier, never
 *   as plain text), and uses that for everything else.
 * - Otherwise DATABASE_URL is used as given, with a warning when it is a superuser or owns tables.
 */
import { createHash, createHmac, pbkdf2Sync, randomBytes } from "node:crypto";
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

/** Per database, and distinct for names that differ only in characters a role name cannot hold. */
export function appRoleName(database: string): string {
  const safe = database.toLowerCase().replace(/[^a-z0-9_]/g, "_").slice(0, 44);
  const tag = createHash("sha256").update(database).digest("hex").slice(0, 6);
  return `basekv_app_${safe}_${tag}`;
}

function appRolePassword(secret: string, database: string): string {
  if (secret.length < 32) throw new Error("the app role's password is derived from AUTH_SECRET, which must be ≥ 32 characters");
  return createHmac("sha256", secret).update(`basekv-app-role\n${database}`).digest("base64url");
}

/** A SCRAM-SHA-256 verifier (RFC 5802 / PostgreSQL's format): the server never sees the password itself. */
function scramVerifier(password: string): string {
  const salt = randomBytes(16);
  const iterations = 4096;
  const salted = pbkdf2Sync(password, salt, iterations, 32, "sha256");
  const clientKey = createHmac("sha256", salted).update("Client Key").digest();
  const storedKey = createHash("sha256").update(clientKey).digest();
  const serverKey = createHmac("sha256", salted).update("Server Key").digest();
  return `SCRAM-SHA-256$${iterations}:${salt.toString("base64")}$${storedKey.toString("base64")}:${serverKey.toString("base64")}`;
}

const ROLE_COMMENT = (database: string) => `BaseKV app role of database ${database}`;

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
 * `appUrl` is DATABASE_URL when an owner was given apart (DATABASE_MIGRATION_URL). `provision: false`
 * (the CLI): only look the app's role up and use it — no role or grant is changed.
 */
export async function provisionAppDatabase(input: {
  ownerUrl: string;
  appUrl?: string;
  secret: string;
  provision?: boolean;
}): Promise<AppDatabase> {
  const provision = input.provision ?? true;
  const database = databaseOf(input.ownerUrl);
  const owner = new pg.Client({ connectionString: input.ownerUrl });
  await owner.connect();
  try {
    await owner.query("BEGIN");
    // Instances starting together: one creates the role, the others find it.
    await owner.query("SELECT pg_advisory_xact_lock($1)", [ROLE_LOCK_KEY]);
    const [me] = (
      await owner.query<{ rolsuper: boolean; rolcreaterole: boolean; rolname: string }>(
        `SELECT rolsuper, rolcreaterole, rolname FROM pg_roles WHERE rolname = current_user`,
      )
    ).rows;
    if (input.appUrl && input.appUrl !== input.ownerUrl) {
      const role = decodeURIComponent(new URL(input.appUrl).username) || "postgres";
      // The same role under two URLs is one owner: granting it less would take the owner's own rights.
      if (provision && role !== me?.rolname) await grantAppPrivileges(owner, role);
      await owner.query("COMMIT");
      return { appUrl: input.appUrl, ownerUrl: input.ownerUrl, role, warnings: await privilegeWarnings(input.appUrl) };
    }
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
    const password = appRolePassword(input.secret, database);
    const [existing] = (
      await owner.query<{ comment: string | null }>(
        `SELECT shobj_description(oid, 'pg_authid') AS comment FROM pg_roles WHERE rolname = $1`,
        [role],
      )
    ).rows;
    if (existing && existing.comment !== ROLE_COMMENT(database))
      throw new Error(`role ${role} exists but is not BaseKV's app role of database ${database}: refusing to use it`);
    if (provision || !existing) {
      // A verifier, not the password: nothing readable lands in the server's logs or statistics.
      const verifier = scramVerifier(password);
      if (existing) {
        // Only what a CREATEROLE owner (managed PostgreSQL) may change; the attributes are checked below.
        await owner.query(`ALTER ROLE ${quoteIdent(role)} WITH LOGIN PASSWORD '${verifier}'`);
      } else {
        await owner.query(
          `CREATE ROLE ${quoteIdent(role)} WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS NOINHERIT PASSWORD '${verifier}'`,
        );
        await owner.query(`COMMENT ON ROLE ${quoteIdent(role)} IS '${ROLE_COMMENT(database).replace(/'/g, "''")}'`);
      }
      const [attributes] = (
        await owner.query<{ unsafe: boolean }>(
          `SELECT rolsuper OR rolcreaterole OR rolcreatedb OR rolreplication OR rolbypassrls AS unsafe
           FROM pg_roles WHERE rolname = $1`,
          [role],
        )
      ).rows;
      if (attributes?.unsafe) throw new Error(`role ${role} has rights an app role must not have: refusing to use it`);
      await owner.query(`GRANT CONNECT, TEMPORARY ON DATABASE ${quoteIdent(database)} TO ${quoteIdent(role)}`);
      await grantAppPrivileges(owner, role);
    }
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
    // Owned directly or through a role it is a member of; and any right to change the evidence.
    const { rows } = await client.query<{ superuser: boolean; owned: string[] }>(
      `SELECT (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) AS superuser,
              ARRAY(SELECT tablename::text FROM pg_tables
                    WHERE schemaname = 'public'
                      AND (pg_has_role(current_user, tableowner, 'USAGE')
                           OR (tablename = ANY($1) AND has_table_privilege(current_user, format('%I', tablename), 'UPDATE, DELETE, TRUNCATE')))
                    ORDER BY 1) AS owned`,
      [[...APPEND_ONLY_TABLES]],
    );
    const warnings: string[] = [];
    if (rows[0]?.superuser)
      warnings.push(
        "the app connects as a PostgreSQL superuser: anyone who takes over the app can rewrite the audit trail. " +
          "Give DATABASE_URL an unprivileged role and DATABASE_MIGRATION_URL the owner (README, Running in production).",
      );
    else if (rows[0]?.owned.length)
      warnings.push(
        `the app's role owns or may rewrite ${rows[0].owned.length} table(s) (e.g. ${rows[0].owned[0]}): it can change the audit trail. ` +
          "Migrate as another role (DATABASE_MIGRATION_URL).",
      );
    return warnings;
  } finally {
    await client.end();
  }
}
