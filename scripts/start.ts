/**
 * `npm start` (and `npm run dev` with --dev): database (embedded unless
 * DATABASE_URL is set), migrations, first-run seed, build if needed, then the
 * web server (scripts/server.mjs). Prints the URL and the admin's login. Ctrl-C stops everything.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { buildIfNeeded } from "./lib/build";
import { DATA_DIR, ROOT, SERVER_SCRIPT } from "./lib/paths";
import { ensureAuditSigningKey, ensureAuthSecret, openAppDatabase } from "./lib/runtime";

const dev = process.argv.includes("--dev");
const log = (line: string) => console.log(`[basekv] ${line}`);
const port = Number(process.env.PORT ?? 3000);
if (!Number.isInteger(port) || port < 1 || port > 65535) {
  console.error(`PORT must be a port number, got "${process.env.PORT}"`);
  process.exit(1);
}

process.env.NEXT_TELEMETRY_DISABLED = "1";
process.env.AUTH_SECRET = ensureAuthSecret();
process.env.AUDIT_SIGNING_KEY = ensureAuditSigningKey();
// The server reads it too: a password change there removes the kept first-run login (lib/server/first-run-login.ts),
// and the audit anchor file lives there.
process.env.BASEKV_DATA_DIR = DATA_DIR;

// Migrated as the owner; everything else (the seed, the web server, its jobs) runs as the app's own role.
const { handle: db, app } = await openAppDatabase(log, { migrate: true }).catch((error: unknown) => {
  console.error(`[basekv] could not prepare the database: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
log(`the app connects as role ${app.role}`);

let server: ChildProcess | null = null;
let stopping = false;

async function shutdown(code: number) {
  if (stopping) return;
  stopping = true;
  if (server && server.exitCode === null) {
    server.kill("SIGTERM");
    await new Promise((resolve) => {
      const timer = setTimeout(() => {
        server?.kill("SIGKILL");
        resolve(null);
      }, 10_000);
      server!.once("exit", () => {
        clearTimeout(timer);
        resolve(null);
      });
    });
  }
  const { disconnectDb } = await import("@/lib/server/db");
  await disconnectDb().catch(() => {});
  await db.close();
  process.exit(code);
}
process.on("SIGINT", () => void shutdown(0));
process.on("SIGTERM", () => void shutdown(0));

try {
  const login = await seedAndDescribeLogin();
  if (!dev) buildIfNeeded(log);

  server = spawn(process.execPath, [SERVER_SCRIPT, ...(dev ? ["--dev"] : []), "--port", String(port)], {
    cwd: ROOT,
    stdio: ["ignore", "pipe", "inherit"],
    env: { ...process.env, NODE_ENV: dev ? "development" : "production", PORT: String(port) },
  });
  server.stdout?.on("data", (chunk: Buffer) => {
    if (process.env.BASEKV_QUIET_SERVER !== "1") process.stdout.write(chunk);
  });
  server.once("exit", (code) => {
    if (!stopping) {
      console.error(`[basekv] the web server exited (${code ?? "signal"})`);
      void shutdown(code ?? 1);
    }
  });

  await waitForHealth(`http://127.0.0.1:${port}/api/health`, dev ? 180_000 : 60_000);
  console.log("");
  console.log(`BaseKV Guardrails is running at http://localhost:${port}`);
  console.log(`Email: ${login.email}`);
  console.log(`Password: ${login.password}`);
  const { currentSigner } = await import("@/lib/server/audit-trail/signing-key");
  const signer = currentSigner();
  if (signer) console.log(`Audit signing key ${signer.keyId} (pin its public key): ${signer.publicKey}`);
  console.log("");
} catch (error) {
  console.error(`[basekv] could not start: ${error instanceof Error ? error.message : String(error)}`);
  await shutdown(1);
}

/**
 * The first run's admin password is a one-time password: printed (and kept in the data directory,
 * to be printed again) only until the admin has chosen their own at the first sign-in.
 */
async function seedAndDescribeLogin(): Promise<{ email: string; password: string }> {
  const { requireFirstRunPasswordChange, seedDemoWorkspace } = await import("@/lib/server/seed");
  const { forgetFirstRunLogin, readFirstRunLogin, saveFirstRunLogin } = await import("@/lib/server/first-run-login");
  const { generatePassword, verifyPassword } = await import("@/lib/server/passwords");
  const { getDb } = await import("@/lib/server/db");
  const email = (process.env.ADMIN_EMAIL ?? "admin@basekv.local").toLowerCase();
  const password = process.env.ADMIN_PASSWORD ?? generatePassword();

  const seeded = await seedDemoWorkspace({ adminEmail: email, adminPassword: password });
  if (seeded) {
    log(`created the demo workspace and its admin ${email}`);
    saveFirstRunLogin({ email, password });
    return { email, password };
  }
  // Later starts: show the first-run password while it is still the one-time password.
  const saved = readFirstRunLogin();
  const candidate = process.env.ADMIN_PASSWORD ? { email, password: process.env.ADMIN_PASSWORD } : saved;
  if (candidate) {
    const user = await getDb().user.findUnique({
      where: { email: candidate.email },
      select: { id: true, passwordHash: true, mustChangePassword: true },
    });
    if (user && (await verifyPassword(candidate.password, user.passwordHash))) {
      // Seeded before first-run passwords were one-time passwords: it must be changed now, too.
      if (!user.mustChangePassword) await requireFirstRunPasswordChange(user.id);
      return candidate;
    }
  }
  forgetFirstRunLogin();
  return { email: candidate?.email ?? email, password: "(changed since the first run — use your own)" };
}

async function waitForHealth(url: string, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (server?.exitCode !== null && server?.exitCode !== undefined)
      throw new Error("the web server exited while starting");
    try {
      const response = await fetch(url);
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 300));
  }
  throw new Error(`the web server did not answer ${url} within ${timeoutMs / 1000}s`);
}
