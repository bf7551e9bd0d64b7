/**
 * What the fault proofs share: the production app as its own process (`next
 * start` on the built .next, as `npm start` runs it), a tenant provisioned
 * through the admin CLI, agents under load through the SDK with a ledger of
 * every answer they were given, and the check — from the database — that
 * nothing acknowledged was lost and nothing was done twice.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { generateKeyPairSync, randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect } from "@playwright/test";
import pg from "pg";
import { BaseKV, isBaseKVError } from "../../sdk";
import { SERVER_SCRIPT } from "../../scripts/lib/paths";

const ROOT = process.cwd();
const TSX = path.join(ROOT, "node_modules", "tsx", "dist", "cli.mjs");

/**
 * The app, the CLI and its `audit verify` share one audit signing key and anchor file (issue #18),
 * apart from the checkout's .data/: the chain's checkpoints are checked after every fault too.
 */
const AUDIT_ENV = {
  BASEKV_DATA_DIR: mkdtempSync(path.join(os.tmpdir(), "basekv-faults-")),
  AUDIT_SIGNING_KEY: generateKeyPairSync("ed25519")
    .privateKey.export({ format: "der", type: "pkcs8" })
    .toString("base64url"),
  AUDIT_CHECKPOINT_INTERVAL_SECONDS: "2",
};

export type Tenant = { slug: string; workspaceId: string; credentialId: string; key: string };

/** A workspace with a daily request limit, a key with a daily write ceiling, namespaces `faults.data` and `faults.runs`. */
export function provision(databaseUrl: string, slug: string): Tenant {
  const result = spawnSync(process.execPath, [TSX, "--conditions=react-server", "e2e/faults/provision.ts", slug], {
    cwd: ROOT,
    encoding: "utf8",
    env: { ...process.env, ...AUDIT_ENV, DATABASE_URL: databaseUrl },
  });
  if (result.status !== 0) throw new Error(`provisioning failed: ${result.stderr}`);
  return JSON.parse(result.stdout) as Tenant;
}

/** `audit verify` through the admin CLI: the hash chain over everything the workspace's trail holds. */
export function auditVerify(databaseUrl: string, slug: string): { ok: boolean; events: number; pending?: number } {
  const result = spawnSync(
    process.execPath,
    [TSX, "--conditions=react-server", "scripts/admin.ts", "audit", "verify", "--workspace", slug],
    { cwd: ROOT, encoding: "utf8", env: { ...process.env, ...AUDIT_ENV, DATABASE_URL: databaseUrl } },
  );
  if (result.status !== 0) throw new Error(`audit verify failed: ${result.stderr}`);
  return JSON.parse(result.stdout) as { ok: boolean; events: number; pending?: number };
}

export type App = { port: number; url: string; pid: number; child: ChildProcess; output: () => string };

/**
 * The production server (scripts/server.mjs) on the built .next against `databaseUrl`; resolves once it answers.
 * `dataDir`: a second instance beside the suite's server shares its audit signing key and anchor file
 * (else the proofs' own, AUDIT_ENV).
 */
export async function startApp(input: {
  databaseUrl: string;
  port: number;
  authSecret: string;
  dataDir?: string;
}): Promise<App> {
  const child = spawn(process.execPath, [SERVER_SCRIPT, "--port", String(input.port)], {
    cwd: ROOT,
    // Its own process group: kill -9 takes everything the app started, and nothing else.
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
    env: {
      ...process.env,
      ...(input.dataDir
        ? {
            BASEKV_DATA_DIR: input.dataDir,
            AUDIT_SIGNING_KEY: readFileSync(path.join(input.dataDir, "audit-signing-key"), "utf8").trim(),
          }
        : AUDIT_ENV),
      NODE_ENV: "production",
      NEXT_TELEMETRY_DISABLED: "1",
      DATABASE_URL: input.databaseUrl,
      AUTH_SECRET: input.authSecret,
      LOG_LEVEL: "warn",
      PORT: String(input.port),
    },
  });
  let output = "";
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-200_000);
  };
  child.stdout!.on("data", keep);
  child.stderr!.on("data", keep);
  const url = `http://127.0.0.1:${input.port}`;
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`the app exited (${child.exitCode}) while starting:\n${output}`);
    try {
      if ((await fetch(`${url}/api/ping`)).ok)
        return { port: input.port, url, pid: child.pid!, child, output: () => output };
    } catch {
      // not listening yet
    }
    await sleep(100);
  }
  killGroup(child, "SIGKILL");
  throw new Error(`the app did not answer on ${url} within 60 s:\n${output}`);
}

export function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    process.kill(-child.pid!, signal);
  } catch {
    // already gone
  }
}

/** Stops the app by its process group and waits for it to be gone. */
export async function stopApp(app: App | null, signal: NodeJS.Signals = "SIGTERM"): Promise<void> {
  if (!app || app.child.exitCode !== null || app.child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => app.child.once("exit", () => resolve()));
  killGroup(app.child, signal);
  const timer = setTimeout(() => killGroup(app.child, "SIGKILL"), 10_000);
  await exited;
  clearTimeout(timer);
}

/** Resident memory of a process in KiB (Linux), null elsewhere. */
export function rssKiB(pid: number): number | null {
  try {
    const line = readFileSync(`/proc/${pid}/status`, "utf8")
      .split("\n")
      .find((l) => l.startsWith("VmRSS:"));
    return line ? Number(line.split(/\s+/)[1]) : null;
  } catch {
    return null;
  }
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
export const newAuthSecret = () => randomBytes(32).toString("base64url");

// ---------------------------------------------------------------------------
// Agents under load, and what they were told.

export type Ledger = {
  /** Every acknowledged guarded write: key, the n-th write of it, the version the server answered. */
  writes: { key: string; n: number; version: number; value: unknown; requestId: string | null }[];
  /** Every acknowledged task create, with the events acknowledged for it. */
  tasks: { id: string; checkpoint: unknown; events: string[] }[];
  /** Acknowledged (2xx) calls that count against the budgets: every call here is mutating. */
  counted: number;
  /** Logical calls that ended without a 2xx after all their retries. */
  failures: string[];
  /** What the clients saw on the wire, retries included. */
  wire: {
    statuses: Record<string, number>;
    networkErrors: number;
    /** 2xx answers the test threw away as if the connection broke after the server answered. */
    dropped: number;
    replays: number;
    inFlight: number;
    maxInFlight: number;
  };
  /** Bodies of 5xx answers (for the envelope and leak checks). */
  serverErrors: { status: number; body: string }[];
};

export function newLedger(): Ledger {
  return {
    writes: [],
    tasks: [],
    counted: 0,
    failures: [],
    wire: { statuses: {}, networkErrors: 0, dropped: 0, replays: 0, inFlight: 0, maxInFlight: 0 },
    serverErrors: [],
  };
}

/**
 * `clients` agents, each its own SDK instance and one call at a time: guarded
 * writes to its own keys (`If-Match` on the version it was last told, or
 * `If-None-Match: *` for the first), and every third round a whole task
 * lifecycle (create → started → step_completed with a checkpoint → committed,
 * each event on `If-Match` of the last seq). The SDK retries network errors and
 * 5xx with the same Idempotency-Key for a long while (a restart or an outage
 * of several seconds is meant to be ridden out). Runs until `stop()` says so,
 * always finishing the round it is in.
 *
 * `dropAnswers` (a probability) loses that share of 2xx answers on the way
 * back, as a connection broken after the server committed would: the work is
 * done but the client does not know, and its retry must be answered by a
 * replay. (A kill lands in that window only by chance; this makes it certain.)
 */
export async function runAgents(input: {
  baseUrl: string;
  apiKey: string;
  clients: number;
  ledger: Ledger;
  stop: () => boolean;
  dropAnswers?: number;
}): Promise<void> {
  const { ledger } = input;
  const observedFetch = async (url: string, init: RequestInit): Promise<Response> => {
    ledger.wire.inFlight++;
    ledger.wire.maxInFlight = Math.max(ledger.wire.maxInFlight, ledger.wire.inFlight);
    let response: Response;
    try {
      response = await fetch(url, init);
    } catch (error) {
      ledger.wire.networkErrors++;
      throw error;
    } finally {
      ledger.wire.inFlight--;
    }
    const bucket = String(response.status);
    ledger.wire.statuses[bucket] = (ledger.wire.statuses[bucket] ?? 0) + 1;
    if (response.headers.get("idempotent-replayed") === "true") ledger.wire.replays++;
    if (response.status >= 500)
      ledger.serverErrors.push({ status: response.status, body: await response.clone().text() });
    if (response.ok && Math.random() < (input.dropAnswers ?? 0)) {
      await response.arrayBuffer();
      ledger.wire.dropped++;
      throw new TypeError("fetch failed (the test dropped this answer)");
    }
    return response;
  };

  const agent = async (c: number) => {
    const sdk = new BaseKV({
      // The restarted app listens on the same port: the clients never learn of the restart.
      baseUrl: input.baseUrl,
      apiKey: input.apiKey,
      fetch: observedFetch,
      retry: { maxAttempts: 80, baseDelayMs: 100, maxDelayMs: 800 },
    });
    const versions = new Map<string, number>();
    const broken = new Set<string>();
    for (let round = 1; !input.stop(); round++) {
      const key = `c${c}-k${round % 3}`;
      if (!broken.has(key)) {
        const n = (versions.get(key) ?? 0) + 1;
        const value = { client: c, key, n, pad: "x".repeat(64) };
        try {
          const put = await sdk.kv.put("faults.data", key, value, n === 1 ? { ifAbsent: true } : { ifVersion: n - 1 });
          ledger.counted++;
          ledger.writes.push({ key, n, version: put.version, value, requestId: put.$meta.guardrail.requestId });
          versions.set(key, n);
        } catch (error) {
          // Its state is unknown now: never write it again (the test fails on any failure anyway).
          broken.add(key);
          ledger.failures.push(`PUT ${key} #${n}: ${describe(error)}`);
        }
      }
      if (round % 3 !== 0) continue;
      let taskId: string | null = null;
      try {
        const task = await sdk.tasks.create({ namespace: "faults.runs", input: { client: c, round } });
        ledger.counted++;
        taskId = task.id;
        const entry = { id: task.id, checkpoint: { client: c, round, done: ["work"] }, events: [] as string[] };
        ledger.tasks.push(entry);
        let seq = 1; // accepted
        for (const event of [
          { type: "started" as const },
          { type: "step_completed" as const, step: "work", checkpoint: entry.checkpoint },
          { type: "committed" as const, output: { client: c, round } },
        ]) {
          await sdk.tasks.event(task.id, event, { ifSeq: seq });
          ledger.counted++;
          entry.events.push(event.type);
          seq++;
        }
      } catch (error) {
        ledger.failures.push(`task ${taskId ?? "(create)"}: ${describe(error)}`);
      }
    }
  };
  await Promise.all(Array.from({ length: input.clients }, (_, c) => agent(c)));
}

function describe(error: unknown): string {
  if (isBaseKVError(error)) return `${error.status} ${error.code} ${error.message} (after ${error.attempts} attempts)`;
  return error instanceof Error ? error.message : String(error);
}

/** A 5xx body: the API's envelope, code `internal`, and nothing of the internals. */
export function expectCleanServerErrors(ledger: Ledger): void {
  for (const { status, body } of ledger.serverErrors) {
    expect(body, `a ${status} leaked internals`).not.toMatch(
      /\bat \S+ \(|stack|ECONN|postgres|prisma|pg_|SELECT|INSERT/i,
    );
    // Next itself may answer a bare 500 page only if a route crashed outside the wrapper: that is a finding too.
    const parsed = JSON.parse(body) as { error: { code: string; requestId: string; message: string } };
    expect(parsed.error.code, body).toBe("internal");
    expect(parsed.error.requestId, body).toMatch(/^req_/);
  }
}

// ---------------------------------------------------------------------------
// The proof, from the database.

export type Accounting = { accepted: number; workspaceUsed: number; credentialUsed: number; stranded: number };

/**
 * Everything the clients were told is in the database exactly once:
 *
 * - every acknowledged write: its version is the n-th write of its key; the
 *   entry holds the last acknowledged value at that version; the key's audited
 *   writes are versions 1..n, each once, the acknowledged request among them —
 *   no write lost, none executed twice (a second execution would be a version
 *   the client never asked for, or a 412 it would have reported);
 * - every task: events gapless 1..last_seq, status = the last event's; as many
 *   tasks as acknowledged creates (a create run twice would be one more); each
 *   acknowledged lifecycle complete, once, with its checkpoint in KV;
 * - no Idempotency-Key left claimed by a transaction that never finished;
 * - budgets: the workspace's and the key's counters hold every accepted call
 *   once, plus at most `strandedBound` units of calls cut off mid-flight (a
 *   unit is taken before the work and given back on failure: a process killed,
 *   or a database lost, between the two cannot give it back).
 */
export async function expectNothingLost(input: {
  databaseUrl: string;
  tenant: Tenant;
  ledger: Ledger;
  strandedBound: number;
}): Promise<Accounting> {
  const { ledger, tenant } = input;
  const db = new pg.Client({ connectionString: input.databaseUrl });
  await db.connect();
  try {
    expect(
      ledger.failures.length,
      `every logical call was acknowledged in the end; not these:\n${ledger.failures.slice(0, 10).join("\n")}`,
    ).toBe(0);

    // KV
    const entries = new Map(
      (
        await db.query<{ key: string; version: number; value: unknown }>(
          `SELECT e.key, e.version, e.value FROM kv_entry e JOIN namespace n ON n.id = e.namespace_id
           WHERE e.workspace_id = $1 AND n.name = 'faults.data'`,
          [tenant.workspaceId],
        )
      ).rows.map((r) => [r.key, r]),
    );
    const audited = new Map<string, { version: number; requestId: string }[]>();
    for (const row of (
      await db.query<{ target: string; version: number; request_id: string }>(
        `SELECT target, (details->>'versionAfter')::int AS version, request_id FROM audit_event
         WHERE workspace_id = $1 AND action = 'kv.put' AND outcome = 'success' AND namespace = 'faults.data'`,
        [tenant.workspaceId],
      )
    ).rows) {
      audited.set(row.target, [
        ...(audited.get(row.target) ?? []),
        { version: row.version, requestId: row.request_id },
      ]);
    }
    const byKey = new Map<string, Ledger["writes"]>();
    for (const w of ledger.writes) byKey.set(w.key, [...(byKey.get(w.key) ?? []), w]);
    expect([...entries.keys()].sort(), "no entry nobody was told about").toEqual([...byKey.keys()].sort());
    for (const [key, writes] of byKey) {
      writes.sort((a, b) => a.n - b.n);
      for (const w of writes) expect(w.version, `${key}: the answer to write #${w.n}`).toBe(w.n);
      const last = writes.at(-1)!;
      expect(entries.get(key)?.version, `${key}: stored version`).toBe(last.n);
      expect(entries.get(key)?.value, `${key}: stored value`).toEqual(last.value);
      const trail = audited.get(key) ?? [];
      expect(
        trail.map((t) => t.version).sort((a, b) => a - b),
        `${key}: audited writes, each version once`,
      ).toEqual(writes.map((w) => w.n));
      for (const w of writes) {
        expect(
          trail.filter((t) => t.requestId === w.requestId),
          `${key} #${w.n}: the acknowledged request executed once`,
        ).toEqual([{ version: w.n, requestId: w.requestId }]);
      }
    }

    // Tasks
    const tasks = (
      await db.query<{
        id: string;
        status: string;
        last_seq: number;
        seqs: number[];
        types: string[];
        last_to: string;
      }>(
        `SELECT t.id, t.status::text, t.last_seq,
                array_agg(e.seq ORDER BY e.seq) AS seqs, array_agg(e.type ORDER BY e.seq) AS types,
                (array_agg(e.to_status::text ORDER BY e.seq DESC))[1] AS last_to
         FROM task t JOIN task_event e ON e.task_id = t.id
         WHERE t.workspace_id = $1 GROUP BY t.id`,
        [tenant.workspaceId],
      )
    ).rows;
    expect(tasks.length, "one task per acknowledged create, none created twice").toBe(ledger.tasks.length);
    const stored = new Map(tasks.map((t) => [t.id, t]));
    for (const t of tasks) {
      expect(t.seqs, `${t.id}: events gapless`).toEqual(Array.from({ length: t.last_seq }, (_, i) => i + 1));
      expect(t.status, `${t.id}: status is its last event's`).toBe(t.last_to);
    }
    const checkpoints = new Map(
      (
        await db.query<{ key: string; value: unknown }>(
          `SELECT e.key, e.value FROM kv_entry e JOIN namespace n ON n.id = e.namespace_id
           WHERE e.workspace_id = $1 AND n.name = 'faults.runs'`,
          [tenant.workspaceId],
        )
      ).rows.map((r) => [r.key, r.value]),
    );
    for (const t of ledger.tasks) {
      const row = stored.get(t.id);
      expect(row, `acknowledged task ${t.id} exists`).toBeDefined();
      expect(row!.types, `${t.id}: each acknowledged event once`).toEqual(["accepted", ...t.events]);
      if (t.events.length === 3) {
        expect(row!.status).toBe("committed");
        expect(checkpoints.get(`checkpoint/${t.id}`), `${t.id}: checkpoint in KV`).toMatchObject(
          t.checkpoint as Record<string, unknown>,
        );
      }
    }

    // Idempotency: a claim is made in the transaction of its work; none may survive unfinished.
    const { rows: claims } = await db.query<{ n: string }>(
      `SELECT count(*) AS n FROM idempotency_record r JOIN identity i ON i.id = r.identity_id
       WHERE i.workspace_id = $1 AND r.response_status = 0`,
      [tenant.workspaceId],
    );
    expect(Number(claims[0]!.n), "no Idempotency-Key left claimed").toBe(0);

    // Budgets
    const used = async (scopeId: string) =>
      Number(
        (
          await db.query<{ n: string }>(`SELECT COALESCE(sum(used), 0) AS n FROM usage_slot WHERE scope_id = $1`, [
            scopeId,
          ])
        ).rows[0]!.n,
      );
    const accounting: Accounting = {
      accepted: ledger.counted,
      workspaceUsed: await used(tenant.workspaceId),
      credentialUsed: await used(tenant.credentialId),
      stranded: 0,
    };
    accounting.stranded = accounting.workspaceUsed - accounting.accepted;
    // Every call here writes: the key's ceiling counts the same calls as the workspace's requests.
    expect(accounting.credentialUsed, "the key's writes counted like the workspace's requests").toBe(
      accounting.workspaceUsed,
    );
    expect(
      accounting.workspaceUsed,
      "every accepted call counted (refunds never exceed refusals)",
    ).toBeGreaterThanOrEqual(accounting.accepted);
    expect(
      accounting.stranded,
      `at most ${input.strandedBound} units stranded by calls cut off mid-flight`,
    ).toBeLessThanOrEqual(input.strandedBound);
    return accounting;
  } finally {
    await db.end();
  }
}
