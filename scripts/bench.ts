/**
 * `npm run bench`: the hot path under load, measured as ratios within one run
 * (these machines are shared and noisy). Production build, fresh database,
 * load from separate processes (autocannon), 32 connections, 10 s per case.
 * Prints a table and the ratios against the targets, writes bench/results.json,
 * and stops everything it started.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import {
  describeSpendExactness,
  EVERY_SPEND_BUDGET,
  limitDailyUsd,
  limitEverySpendBudget,
  spendExactness,
} from "./bench-spend";
import { buildIfNeeded } from "./lib/build";
import { ROOT, SERVER_SCRIPT } from "./lib/paths";
import { freePort } from "./lib/ports";
import { createFreshDatabase } from "./lib/test-database";

type Load = {
  requests: number;
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  non2xx: number;
  statuses: Record<string, number>;
};
const log = (line: string) => console.log(`[bench] ${line}`);
const DURATION = Number(process.env.BENCH_DURATION ?? 10);
const CONNECTIONS = 32;
/** `BENCH_ONLY=1,3` runs only those cases (for iterating on one; the full run is what README reports). */
const ONLY = process.env.BENCH_ONLY?.split(",");
const EMPTY: Load = { requests: 0, rps: 0, p50: 0, p99: 0, errors: 0, non2xx: 0, statuses: {} };
/** `BENCH_ROUNDS`: how many times each of cases 0–4 and 6–8 runs (default 3). */
const ROUNDS = Math.max(1, Number(process.env.BENCH_ROUNDS ?? 3));

type Measured = { name: string; result: Load; cpu: CpuPerRequest };
const round2 = (v: number) => Math.round(v * 100) / 100;
function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
/** One case over the rounds: medians of throughput, latency and CPU per request; errors summed. */
function summarize(name: string, rounds: Measured[][]): Measured {
  const runs = rounds.map((r) => r.find((m) => m.name === name)!).filter(Boolean);
  const cpu = runs.map((m) => m.cpu).filter((c): c is NonNullable<CpuPerRequest> => c !== null);
  return {
    name,
    result: {
      requests: runs.reduce((n, m) => n + m.result.requests, 0),
      rps: median(runs.map((m) => m.result.rps)),
      p50: median(runs.map((m) => m.result.p50)),
      p99: median(runs.map((m) => m.result.p99)),
      errors: runs.reduce((n, m) => n + m.result.errors, 0),
      non2xx: runs.reduce((n, m) => n + m.result.non2xx, 0),
      statuses: {},
    },
    cpu: cpu.length
      ? { appMs: round2(median(cpu.map((c) => c.appMs))), dbMs: round2(median(cpu.map((c) => c.dbMs))) }
      : null,
  };
}

// `npm run bench -- --only audit`: only the audit module (scripts/bench-audit.ts), on a database of its own.
if (process.argv.slice(2).join(" ") === "--only audit")
  process.exit(await (await import("./bench-audit")).runAuditBenchAlone());
// `npm run bench -- --only soak`: only the 5-minute mixed-load soak (scripts/bench-soak.ts; BENCH_SOAK_SECONDS, 0 skips it).
if (process.argv.slice(2).join(" ") === "--only soak")
  process.exit(await (await import("./bench-soak")).runSoakBenchAlone());

const db = await createFreshDatabase("bench");
process.env.DATABASE_URL = db.url;
(await import("./bench-audit")).benchAuditSigning();
process.env.AUTH_SECRET ??= randomBytes(32).toString("base64url");
const servers: ChildProcess[] = [];

async function stopAll() {
  for (const s of servers) if (s.exitCode === null) s.kill("SIGTERM");
  await new Promise((r) => setTimeout(r, 500));
  const { disconnectDb } = await import("@/lib/server/db");
  await disconnectDb().catch(() => {});
  await db.drop().catch(() => {});
}
process.on("SIGINT", () => void stopAll().then(() => process.exit(130)));

/** Case 0's bare server: its own process, like the app, so the same load generator measures it the same way. */
async function startFloorServer(port: number): Promise<number> {
  const code = `require("node:http").createServer((q, s) => {
    s.writeHead(200, { "Content-Type": "text/plain", "Cache-Control": "no-store" }); s.end("ok");
  }).listen(${port}, "127.0.0.1")`;
  const floor = spawn(process.execPath, ["-e", code], { stdio: ["ignore", "ignore", "inherit"] });
  servers.push(floor);
  for (let i = 0; i < 100; i++) {
    if (
      await fetch(`http://127.0.0.1:${port}/`).then(
        (r) => r.ok,
        () => false,
      )
    )
      return floor.pid!;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error("the floor server did not start");
}

async function startServer(port: number): Promise<void> {
  const server = spawn(
    process.execPath,
    [
      // BENCH_PROFILE=dir writes a V8 CPU profile of each server there (to see where a case spends its time).
      ...(process.env.BENCH_PROFILE ? ["--cpu-prof", `--cpu-prof-dir=${process.env.BENCH_PROFILE}`] : []),
      SERVER_SCRIPT,
      "--port",
      String(port),
    ],
    {
      cwd: ROOT,
      env: {
        ...process.env,
        NODE_ENV: "production",
        NEXT_TELEMETRY_DISABLED: "1",
        LOG_LEVEL: "warn",
        DATABASE_POOL_SIZE: "20",
      },
      stdio: ["ignore", "ignore", "inherit"],
    },
  );
  servers.push(server);
  for (let i = 0; i < 200; i++) {
    try {
      if ((await fetch(`http://127.0.0.1:${port}/api/ping`)).ok) return;
    } catch {
      // starting
    }
    await new Promise((r) => setTimeout(r, 150));
  }
  throw new Error(`server on ${port} did not start`);
}

/**
 * CPU time (app process, PostgreSQL processes) in clock ticks, from /proc: CPU
 * per request is steadier than throughput on a shared machine, and shows which
 * side a case spends its time on.
 */
type Ticks = { app: number; db: number };
type CpuPerRequest = { appMs: number; dbMs: number } | null;
function cpuTicks(appPid: number): Ticks | null {
  try {
    const stat = (pid: string) => readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
    const ticks = (fields: string[]) => Number(fields[11]) + Number(fields[12]); // utime + stime
    // The database's processes: its postmaster and the postmaster's children (not other clusters on the machine).
    let db = 0;
    if (postmasterPid) {
      for (const pid of readdirSync("/proc").filter((d) => /^\d+$/.test(d))) {
        try {
          const fields = stat(pid);
          if (pid === String(postmasterPid) || fields[1] === String(postmasterPid)) db += ticks(fields);
        } catch {
          // gone
        }
      }
    }
    return { app: ticks(stat(String(appPid))), db };
  } catch {
    return null; // not Linux
  }
}
function cpuPerRequest(before: Ticks | null, after: Ticks | null, requests: number): CpuPerRequest {
  if (!before || !after || requests === 0) return null;
  // 100 ticks per second; never below 0 (a backend that exits during a case takes its ticks with it).
  const ms = (t: number) => Math.max(0, Math.round(((t * 10) / requests) * 1000) / 1000);
  return { appMs: ms(after.app - before.app), dbMs: ms(after.db - before.db) };
}

/** The bench database's postmaster: the parent of a backend (Linux; null elsewhere or when the server is remote). */
async function findPostmaster(): Promise<number | null> {
  try {
    const { poolSql } = await import("@/lib/server/db");
    const [row] = await poolSql().query<{ pid: number }>("SELECT pg_backend_pid() AS pid");
    return Number(readFileSync(`/proc/${row!.pid}/stat`, "utf8").split(") ")[1]!.split(" ")[1]);
  } catch {
    return null;
  }
}
let postmasterPid: number | null = null;

function load(job: Record<string, unknown>): Promise<Load> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [
        path.join(ROOT, "node_modules", "tsx", "dist", "cli.mjs"),
        path.join(ROOT, "scripts", "bench-load.ts"),
        JSON.stringify(job),
      ],
      {
        cwd: ROOT,
        stdio: ["ignore", "pipe", "inherit"],
      },
    );
    let out = "";
    child.stdout.on("data", (c: Buffer) => (out += c.toString()));
    child.on("exit", (code) =>
      code === 0 ? resolve(JSON.parse(out) as Load) : reject(new Error(`load generator exited ${code}`)),
    );
  });
}

/**
 * Cases 3 and 4 are fully guarded: the workspace has a daily limit and the key a write ceiling, both
 * far above what a run sends, so every write takes both units and checks the degrade threshold.
 */
const GUARDED = { dailyRequestLimit: 100_000_000, dailyWriteCeiling: 100_000_000 };

/**
 * A workspace with a namespace, a class, an identity, an allow rule for `bench.tool.*` and a key.
 * `spend`: cases 7 and 8 limit every spend budget (far above a run's spend); case 9 the workspace's
 * daily USD budget only, to $50.
 */
async function provision(
  slug: string,
  limits: { dailyRequestLimit: number | null; dailyWriteCeiling: number | null },
  spend?: "every budget" | "daily usd $50",
): Promise<string> {
  const { createWorkspace } = await import("@/lib/server/workspaces/create-workspace");
  const { createNamespace } = await import("@/lib/server/namespaces/create-namespace");
  const { createWorkflowClass } = await import("@/lib/server/workflow-classes/create-workflow-class");
  const { createIdentity } = await import("@/lib/server/identities/create-identity");
  const { issueCredential } = await import("@/lib/server/credentials/issue-credential");
  const actor = { type: "cli" as const, id: "bench", name: "bench" };
  const ws = await createWorkspace({ slug, actor, dailyRequestLimit: limits.dailyRequestLimit });
  await createNamespace({
    workspaceId: ws.id,
    actor,
    name: "bench.data",
    defaultTtlSeconds: null,
    maxTtlSeconds: null,
  });
  const workflowClass = await createWorkflowClass({
    workspaceId: ws.id,
    actor,
    name: "bench",
    maxAttempts: 3,
    initialIntervalMs: 1000,
    backoffCoefficient: 2,
    maxIntervalMs: 60000,
    nonRetryableErrors: [],
    heartbeatTimeoutSeconds: 300,
  });
  const identity = await createIdentity({
    workspaceId: ws.id,
    actor,
    name: "bench-bot",
    workflowClass: "bench",
    grants: [{ pattern: "bench.*", access: "readwrite" }],
  });
  // Case 6: an allow rule for the bench's tool calls (a rule that must be matched, not the default).
  const { createRule } = await import("@/lib/server/actions/rules");
  const { ruleInputSchema } = await import("@/lib/validations/actions");
  await createRule({
    workspaceId: ws.id,
    actor,
    rule: ruleInputSchema.parse({ name: "bench-tools", action: "bench.tool.*", effect: "allow" }),
  });
  const issued = await issueCredential({
    workspaceId: ws.id,
    actor,
    identityId: identity.id,
    expiresInSeconds: 3600,
    dailyWriteCeiling: limits.dailyWriteCeiling,
  });
  if (spend === "every budget")
    await limitEverySpendBudget(
      { workspaceId: ws.id, classId: workflowClass.id, credentialId: issued.id },
      EVERY_SPEND_BUDGET,
    );
  if (spend === "daily usd $50") await limitDailyUsd(ws.id);
  return issued.key;
}

try {
  buildIfNeeded(log);
  log("provisioning workspaces, identities and keys");
  postmasterPid = await findPostmaster();
  const single = await provision("bench-one", GUARDED);
  const spread = await Promise.all(Array.from({ length: 8 }, (_, i) => provision(`bench-spread-${i}`, GUARDED)));
  const exact = await provision("bench-exact", { dailyRequestLimit: 2000, dailyWriteCeiling: null });
  // Cases 7–9: the same workspaces with spend budgets (API.md "Spend budgets").
  const singleSpend = await provision("bench-spend-one", GUARDED, "every budget");
  const spreadSpend = await Promise.all(
    Array.from({ length: 8 }, (_, i) => provision(`bench-spend-spread-${i}`, GUARDED, "every budget")),
  );
  const spendExact = await provision(
    "bench-spend-exact",
    { dailyRequestLimit: null, dailyWriteCeiling: null },
    "daily usd $50",
  );

  const portA = await freePort();
  const portB = await freePort();
  const portFloor = await freePort();
  log(`starting the production server on :${portA}`);
  await startServer(portA);
  const base = `http://127.0.0.1:${portA}`;
  // Every measured route is loaded and JIT-compiled before the first round: the baseline, measured
  // first without its own warm-up, ran at about half its later throughput, skewing every ratio.
  log("warming up every case");
  await load({ url: `${base}/api/ping`, connections: CONNECTIONS, duration: 4, method: "GET", keys: ["none"] });
  await load({ url: `${base}/api/v1/policy`, connections: CONNECTIONS, duration: 4, method: "GET", keys: [single] });
  await load({
    url: base,
    connections: CONNECTIONS,
    duration: 4,
    method: "PUT",
    keys: spread,
    namespace: "bench.data",
  });
  await load({ url: base, connections: CONNECTIONS, duration: 4, method: "ACTION", keys: [single] });
  await load({ url: base, connections: CONNECTIONS, duration: 4, method: "ACTION", keys: [singleSpend] });
  await load({ url: base, connections: CONNECTIONS, duration: 4, method: "ACTION", keys: spreadSpend });

  // Cases 0–4 and 6–8 run in rounds, each round every case once, in a rotating order: the machine's speed
  // drifts (shared cores), so a ratio is taken within a round, between cases measured minutes apart
  // at most, and the median over the rounds is reported.
  // Case 0 is no part of the app: a bare Node.js server answering "ok", the floor of HTTP on this
  // machine with this load generator. The agent API no longer runs through Next.js (its own lane,
  // lib/server/agent-api/agent-server.ts), so case 1 — the cheapest route the app serves, through
  // Next.js — is no longer the floor its routes stand on; case 0 shows how far above that floor they are.
  const floor = await startFloorServer(portFloor);
  await load({
    url: `http://127.0.0.1:${portFloor}/`,
    connections: CONNECTIONS,
    duration: 2,
    method: "GET",
    keys: ["none"],
  });
  const caseJobs: { name: string; job: Record<string, unknown>; pid?: number }[] = [
    {
      name: "0 floor: bare Node.js http",
      job: { url: `http://127.0.0.1:${portFloor}/`, method: "GET", keys: ["none"] },
      pid: floor,
    },
    { name: "1 baseline GET /api/ping", job: { url: `${base}/api/ping`, method: "GET", keys: ["none"] } },
    { name: "2 GET /api/v1/policy", job: { url: `${base}/api/v1/policy`, method: "GET", keys: [single] } },
    {
      name: "3 guarded PUT, 1 workspace",
      job: { url: base, method: "PUT", keys: [single], namespace: "bench.data" },
    },
    {
      name: "4 guarded PUT, 8 workspaces",
      job: { url: base, method: "PUT", keys: spread, namespace: "bench.data" },
    },
    // POST /actions decided by an allow rule, then its complete: two requests per action.
    { name: "6 POST /actions + complete", job: { url: base, method: "ACTION", keys: [single] } },
    // Case 6 again, with every spend budget limited (workspace daily and monthly USD, daily tokens,
    // the class's and the key's daily USD) far above what a run spends: what checking limits costs.
    { name: "7 actions, every spend budget", job: { url: base, method: "ACTION", keys: [singleSpend] } },
    // The same over 8 workspaces (a key each, the same 32 connections): a hot row would show here.
    { name: "8 actions, spend, 8 workspaces", job: { url: base, method: "ACTION", keys: spreadSpend } },
  ].filter((c) => !ONLY || ONLY.includes(c.name.slice(0, 1)));
  const rounds: Measured[][] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const round: Measured[] = [];
    for (const { name, job, pid } of [
      ...caseJobs.slice(r % caseJobs.length),
      ...caseJobs.slice(0, r % caseJobs.length),
    ]) {
      log(`round ${r + 1}/${ROUNDS}, case: ${name} (${CONNECTIONS} connections, ${DURATION} s)`);
      const before = cpuTicks(pid ?? servers[0]!.pid!);
      const result = await load({ connections: CONNECTIONS, duration: DURATION, ...job });
      round.push({ name, result, cpu: cpuPerRequest(before, cpuTicks(pid ?? servers[0]!.pid!), result.requests) });
    }
    rounds.push(round);
  }
  const cases = caseJobs.map(({ name }) => summarize(name, rounds));

  const skipExact = ONLY && !ONLY.includes("5");
  const skipSpendExact = ONLY && !ONLY.includes("9");
  if (!skipExact || !skipSpendExact) {
    log(`starting a second server on :${portB}`);
    await startServer(portB);
  }
  if (!skipExact) log("case: 5 exactness — limit 2,000, 3,200 writes from 64 connections over both servers");
  const halves = await Promise.all(
    (skipExact ? [] : [portA, portB]).map((port) =>
      load({
        url: `http://127.0.0.1:${port}`,
        connections: 32,
        amount: 1600,
        method: "PUT",
        keys: [exact],
        namespace: "bench.data",
      }),
    ),
  );
  const accepted = halves.reduce((n, h) => n + (h.statuses["2xx"] ?? 0), 0);
  const refused = halves.reduce((n, h) => n + (h.statuses["4xx"] ?? 0), 0);
  const { getDb } = await import("@/lib/server/db");
  const stored = await getDb().kvEntry.count({ where: { workspace: { slug: "bench-exact" } } });

  if (!skipSpendExact) {
    // The second server warmed on the actions path first: cold, it answers its first requests after
    // the warm one has answered all of its own, and the two processes would not race at all.
    await load({
      url: `http://127.0.0.1:${portB}`,
      connections: CONNECTIONS,
      duration: 3,
      method: "ACTION",
      keys: [singleSpend],
    });
    log("case: 9 spend exactness — $50.00 a day, 200 concurrent actions of $0.37 over both servers");
  }
  const spend = skipSpendExact
    ? null
    : await spendExactness({
        ports: [portA, portB],
        key: spendExact,
        workspaceId: (await getDb().workspace.findUniqueOrThrow({ where: { slug: "bench-spend-exact" } })).id,
      });

  const byName = (prefix: string) => cases.find((c) => c.name.startsWith(prefix))?.result ?? EMPTY;
  /** The median over the rounds of a/b, each round's cases against each other. */
  const ratio = (a: string, b: string) => {
    const perRound = rounds
      .map((round) => {
        const x = round.find((m) => m.name.startsWith(a))?.result.rps;
        const y = round.find((m) => m.name.startsWith(b))?.result.rps;
        return x && y ? x / y : null;
      })
      .filter((v): v is number => v !== null);
    return perRound.length ? { median: round2(median(perRound)), rounds: perRound.map(round2) } : null;
  };
  const ratios = {
    "policy / baseline (target ≥ 0.8)": ratio("2", "1"),
    "guarded PUT / baseline (target ≥ 0.5)": ratio("3", "1"),
    "1 workspace / 8 workspaces (target ≥ 0.8)": ratio("3", "4"),
    "guarded PUT / bare Node.js floor (no target; see docs/benchmarks.md)": ratio("3", "0"),
    "actions (request + complete, per request) / baseline": ratio("6", "1"),
    "actions (request + complete, per request) / guarded PUT (target ≥ 0.8)": ratio("6", "3"),
    "actions with every spend budget / without (target ≥ 0.8)": ratio("7", "6"),
    "actions with spend budgets, 1 workspace / 8 workspaces (target ≥ 0.8)": ratio("7", "8"),
  };
  const exactness = skipExact
    ? null
    : { limit: 2000, sent: 3200, accepted, refused, stored, exact: accepted === 2000 && stored === 2000 };

  console.log("");
  console.log(
    `cores: ${os.cpus().length}, connections: ${CONNECTIONS}, ${ROUNDS} rounds of ${DURATION} s per case (medians over the rounds)`,
  );
  console.log(
    "case".padEnd(34),
    ...["req/s", "p50 ms", "p99 ms", "errors", "app CPU ms/req", "db CPU ms/req"].map((h, i) =>
      h.padStart(i < 4 ? 8 : 15),
    ),
  );
  for (const c of cases) {
    console.log(
      c.name.padEnd(34),
      c.result.rps.toFixed(0).padStart(8),
      String(c.result.p50).padStart(8),
      String(c.result.p99).padStart(8),
      String(c.result.errors).padStart(8),
      String(c.cpu?.appMs ?? "–").padStart(15),
      String(c.cpu?.dbMs ?? "–").padStart(15),
    );
  }
  console.log("");
  for (const [name, value] of Object.entries(ratios))
    console.log(`${name}: ${value ? `${value.median} (rounds: ${value.rounds.join(", ")})` : "–"}`);
  console.log(`p99 of guarded PUT (target ≤ 50 ms): ${byName("3").p99} ms`);
  for (const [n, what] of [
    ["6", "actions"],
    ["7", "actions, every spend budget"],
    ["8", "actions, spend, 8 workspaces"],
  ] as const)
    if (cases.some((c) => c.name.startsWith(n)))
      console.log(
        `${what}: ${(byName(n).rps / 2).toFixed(0)} actions/s (each a request and a complete), p99 (target ≤ 50 ms): ${byName(n).p99} ms`,
      );
  console.log(
    exactness
      ? `exactness: ${accepted} accepted of 3,200 across two servers (limit 2,000), ${stored} stored → ${exactness.exact ? "EXACT" : "NOT EXACT"}`
      : "exactness: not run (BENCH_ONLY leaves out case 5)",
  );
  console.log(spend ? describeSpendExactness(spend) : "spend exactness: not run (BENCH_ONLY leaves out case 9)");
  mkdirSync(path.join(ROOT, "bench"), { recursive: true });
  writeFileSync(
    path.join(ROOT, "bench", "results.json"),
    JSON.stringify(
      {
        at: new Date().toISOString(),
        cores: os.cpus().length,
        connections: CONNECTIONS,
        durationSeconds: DURATION,
        rounds: ROUNDS,
        cases,
        perRound: rounds,
        ratios,
        p99GuardedPutMs: byName("3").p99,
        p99ActionsMs: byName("6").p99,
        exactness,
        spendExactness: spend,
      },
      null,
      2,
    ),
  );
  log("wrote bench/results.json");
  if (!ONLY) await (await import("./bench-audit")).benchAudit(); // audit search and export at 1M events
  // The soak, on a database and a server of its own (BENCH_SOAK_SECONDS=0 leaves it out).
  if (!ONLY) process.exitCode = (await (await import("./bench-soak")).runSoakBenchAlone()) || process.exitCode;
} catch (error) {
  console.error(`[bench] ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
} finally {
  await stopAll();
}
