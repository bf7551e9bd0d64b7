/**
 * The soak of `npm run bench` (issue #10): the production app under a steady
 * mixed load for 5 minutes — policy reads, guarded KV writes, task lifecycles,
 * signed-in dashboard page loads — on a database and a server of its own.
 * Reports the error rate (target: no errors that are not guardrails), the p99
 * of the first and the last window (target: last ≤ 1.5 × first) and the app's
 * resident memory over the run (target: no growth trend). Writes bench/soak.json.
 *
 *   npm run bench -- --only soak                  the soak alone
 *   BENCH_SOAK_SECONDS=60 npm run bench -- --only soak   a quick check
 *   BENCH_SOAK_SECONDS=0 npm run bench             the full bench without it
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { randomBytes, randomUUID } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { buildIfNeeded } from "./lib/build";
import { ROOT } from "./lib/paths";
import { freePort } from "./lib/ports";
import { createFreshDatabase } from "./lib/test-database";

const log = (line: string) => console.log(`[bench:soak] ${line}`);
const SECONDS = Number(process.env.BENCH_SOAK_SECONDS ?? 300);
/** Concurrent simulated users: agents and people, one request at a time each. */
const CLIENTS = 8;
const MIN_SECONDS_FOR_MEMORY = 180;
/** Guardrail refusals are the product working, not errors. */
const GUARDRAIL_CODES = new Set(["budget_exhausted", "write_ceiling_reached", "degraded_low_priority"]);

type Kind = "policy" | "kv.put" | "task" | "page";
type Sample = { at: number; ms: number; kind: Kind; ok: boolean; status: number; guardrail: boolean };

export type SoakReport = {
  seconds: number;
  clients: number;
  requests: number;
  rps: number;
  errors: number;
  guardrailRefusals: number;
  errorRate: number;
  errorSamples: string[];
  byKind: Record<Kind, { requests: number; errors: number; p50: number; p99: number }>;
  p99: { windowSeconds: number; first: number; last: number; drift: number };
  rssMiB: { start: number; end: number; max: number; slopeMiBPerMinute: number; samples: [number, number][] };
  verdict: { errors: boolean; drift: boolean; memory: boolean | null };
};

/** `npm run bench -- --only soak`, and the last part of the full bench: exit code 0 when every target is met. */
export async function runSoakBenchAlone(): Promise<number> {
  if (!(SECONDS > 0)) {
    log("BENCH_SOAK_SECONDS=0: skipped");
    return 0;
  }
  const database = await createFreshDatabase("bench_soak");
  let server: ChildProcess | null = null;
  try {
    buildIfNeeded(log);
    log("provisioning a workspace, an agent key and a dashboard user");
    const tenant = await provision(database.url);
    const port = await freePort();
    server = await startServer(database.url, port);
    const base = `http://127.0.0.1:${port}`;
    const cookie = await signIn(base, tenant.email, tenant.password);
    log(`soaking for ${SECONDS} s with ${CLIENTS} clients (pid ${server.pid})`);
    const report = await soak({ base, pid: server.pid!, key: tenant.key, slug: tenant.slug, cookie });
    print(report);
    mkdirSync(path.join(ROOT, "bench"), { recursive: true });
    writeFileSync(
      path.join(ROOT, "bench", "soak.json"),
      JSON.stringify({ at: new Date().toISOString(), cores: os.cpus().length, ...report }, null, 2),
    );
    log("wrote bench/soak.json");
    return report.verdict.errors && report.verdict.drift && report.verdict.memory !== false ? 0 : 1;
  } catch (error) {
    console.error(`[bench:soak] ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  } finally {
    if (server && server.exitCode === null) {
      const exited = new Promise((resolve) => server!.once("exit", resolve));
      server.kill("SIGTERM");
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 10_000))]);
      if (server.exitCode === null) server.kill("SIGKILL");
    }
    await database.drop().catch(() => {});
  }
}

/**
 * Through the admin CLI's own commands, in a process of its own: the
 * database client of this process may already belong to the main bench's
 * database (its environment is read once).
 */
async function provision(databaseUrl: string): Promise<{ slug: string; email: string; password: string; key: string }> {
  const result = spawnSync(
    process.execPath,
    [path.join(ROOT, "node_modules", "tsx", "dist", "cli.mjs"), "--conditions=react-server", SELF, PROVISION_FLAG],
    { cwd: ROOT, encoding: "utf8", env: { ...process.env, DATABASE_URL: databaseUrl } },
  );
  if (result.status !== 0) throw new Error(`provisioning failed: ${result.stderr}`);
  return JSON.parse(result.stdout) as { slug: string; email: string; password: string; key: string };
}

const SELF = fileURLToPath(import.meta.url);
const PROVISION_FLAG = "--provision-soak-tenant";
if (process.argv[1] === SELF && process.argv[2] === PROVISION_FLAG) {
  const { runAdminCli } = await import("@/lib/server/cli/admin-cli");
  const { disconnectDb } = await import("@/lib/server/db");
  const cli = async (...argv: string[]) => {
    const result = await runAdminCli(argv);
    if (result.code !== 0) throw new Error(`admin ${argv.join(" ")}: ${result.stderr}`);
    return JSON.parse(result.stdout) as Record<string, unknown>;
  };
  const slug = "soak";
  const email = "soak@basekv.local";
  const password = randomBytes(12).toString("base64url");
  await cli("workspace", "create", "--slug", slug);
  await cli("namespace", "create", "--workspace", slug, "--name", "soak.data");
  await cli("namespace", "create", "--workspace", slug, "--name", "soak.runs");
  await cli("class", "create", "--workspace", slug, "--name", "soak");
  await cli(
    "identity",
    "create",
    "--workspace",
    slug,
    "--name",
    "soak-bot",
    "--class",
    "soak",
    "--grant",
    "soak.*:readwrite",
  );
  const key = await cli("key", "create", "--workspace", slug, "--identity", "soak-bot", "--expires-in", "1d");
  await cli("user", "create", "--email", email, "--password", password, "--workspace", slug, "--role", "admin");
  await disconnectDb().catch(() => {});
  process.stdout.write(JSON.stringify({ slug, email, password, key: key.key }));
  process.exit(0);
}

async function startServer(databaseUrl: string, port: number): Promise<ChildProcess> {
  const server = spawn(
    process.execPath,
    [path.join(ROOT, "node_modules", "next", "dist", "bin", "next"), "start", "--port", String(port)],
    {
      cwd: ROOT,
      env: {
        ...process.env,
        NODE_ENV: "production",
        NEXT_TELEMETRY_DISABLED: "1",
        DATABASE_URL: databaseUrl,
        AUTH_SECRET: process.env.AUTH_SECRET ?? randomBytes(32).toString("base64url"),
        LOG_LEVEL: "warn",
      },
      stdio: ["ignore", "ignore", "inherit"],
    },
  );
  for (let i = 0; i < 400; i++) {
    try {
      if ((await fetch(`http://127.0.0.1:${port}/api/ping`)).ok) return server;
    } catch {
      // starting
    }
    await new Promise((r) => setTimeout(r, 150));
  }
  server.kill("SIGKILL");
  throw new Error(`server on ${port} did not start`);
}

/** Auth.js's credentials callback, as the login form ends up calling it: returns the session cookie. */
async function signIn(base: string, email: string, password: string): Promise<string> {
  const csrf = await fetch(`${base}/api/auth/csrf`);
  const { csrfToken } = (await csrf.json()) as { csrfToken: string };
  const jar = cookies(csrf.headers.getSetCookie());
  const response = await fetch(`${base}/api/auth/callback/credentials`, {
    method: "POST",
    redirect: "manual",
    headers: { "Content-Type": "application/x-www-form-urlencoded", Cookie: jar },
    body: new URLSearchParams({ csrfToken, email, password, callbackUrl: `${base}/` }),
  });
  const session = cookies(response.headers.getSetCookie());
  if (!/session-token=/.test(session)) throw new Error(`sign-in failed (${response.status}): no session cookie`);
  const cookie = `${jar}; ${session}`;
  const page = await fetch(`${base}/w/soak`, { headers: { Cookie: cookie }, redirect: "manual" });
  if (page.status !== 200) throw new Error(`the dashboard answered ${page.status} after sign-in`);
  return cookie;
}

function cookies(setCookie: string[]): string {
  return setCookie.map((c) => c.split(";")[0]).join("; ");
}

function rssMiB(pid: number): number | null {
  try {
    const line = readFileSync(`/proc/${pid}/status`, "utf8")
      .split("\n")
      .find((l) => l.startsWith("VmRSS:"));
    return line ? Math.round(Number(line.split(/\s+/)[1]) / 102.4) / 10 : null;
  } catch {
    return null;
  }
}

const PAGES = ["", "/tasks", "/audit", "/identities", "/namespaces", "/budgets", "/escalations"];

async function soak(input: {
  base: string;
  pid: number;
  key: string;
  slug: string;
  cookie: string;
}): Promise<SoakReport> {
  const started = performance.now();
  const deadline = started + SECONDS * 1000;
  const samples: Sample[] = [];
  const errorSamples: string[] = [];
  const agent = { Authorization: `Bearer ${input.key}`, "Content-Type": "application/json" };

  const timed = async (kind: Kind, url: string, init: RequestInit = {}): Promise<Response | null> => {
    const t0 = performance.now();
    let status = 0;
    let body = "";
    let response: Response | null = null;
    try {
      response = await fetch(url, { ...init, redirect: "manual" });
      status = response.status;
      body = await response.text();
    } catch (error) {
      body = error instanceof Error ? error.message : String(error);
    }
    const ms = performance.now() - t0;
    const ok = status >= 200 && status < 300;
    let guardrail = false;
    if (!ok) {
      try {
        guardrail = GUARDRAIL_CODES.has((JSON.parse(body) as { error: { code: string } }).error.code);
      } catch {
        // not the envelope
      }
      if (!guardrail && errorSamples.length < 10)
        errorSamples.push(`${kind} ${url} → ${status}: ${body.slice(0, 200)}`);
    }
    samples.push({ at: t0 - started, ms, kind, ok, status, guardrail });
    return ok ? (response?.ok ? new Response(body, { status }) : null) : null;
  };

  const rounds: Record<Kind, (client: number, n: number) => Promise<void>> = {
    policy: async () => void (await timed("policy", `${input.base}/api/v1/policy`, { headers: agent })),
    "kv.put": async (client, n) =>
      void (await timed("kv.put", `${input.base}/api/v1/kv/soak.data/c${client}-k${n % 50}`, {
        method: "PUT",
        headers: { ...agent, "Idempotency-Key": randomUUID() },
        body: JSON.stringify({ value: { client, n, at: Date.now() } }),
      })),
    task: async (client, n) => {
      const created = await timed("task", `${input.base}/api/v1/tasks`, {
        method: "POST",
        headers: { ...agent, "Idempotency-Key": randomUUID() },
        body: JSON.stringify({ namespace: "soak.runs", input: { client, n } }),
      });
      if (!created) return;
      const { id } = (await created.json()) as { id: string };
      for (const event of [
        { type: "started" },
        { type: "step_completed", step: "work", checkpoint: { client, n } },
        { type: "committed", output: { client, n } },
      ]) {
        const ok = await timed("task", `${input.base}/api/v1/tasks/${id}/events`, {
          method: "POST",
          headers: { ...agent, "Idempotency-Key": randomUUID() },
          body: JSON.stringify(event),
        });
        if (!ok) return;
      }
    },
    page: async (_client, n) =>
      void (await timed("page", `${input.base}/w/${input.slug}${PAGES[n % PAGES.length]}`, {
        headers: { Cookie: input.cookie },
      })),
  };
  // The mix per round: mostly agents, a person now and then.
  const mix: Kind[] = ["policy", "policy", "policy", "kv.put", "kv.put", "kv.put", "task", "page", "page"];

  const rss: [number, number][] = [];
  const sampleRss = () => {
    const value = rssMiB(input.pid);
    if (value !== null) rss.push([Math.round((performance.now() - started) / 1000), value]);
  };
  sampleRss();
  const sampler = setInterval(sampleRss, 5_000);
  let lastProgress = started;
  await Promise.all(
    Array.from({ length: CLIENTS }, async (_, client) => {
      for (let n = 0; performance.now() < deadline; n++) {
        await rounds[mix[(n + client) % mix.length]!](client, n);
        if (client === 0 && performance.now() - lastProgress > 60_000) {
          lastProgress = performance.now();
          log(
            `${Math.round((lastProgress - started) / 1000)} s: ${samples.length} requests, RSS ${rss.at(-1)?.[1]} MiB`,
          );
        }
      }
    }),
  );
  clearInterval(sampler);
  sampleRss();
  return summarize(samples, rss, errorSamples, (performance.now() - started) / 1000);
}

function percentile(values: number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return Math.round(sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]! * 10) / 10;
}

function summarize(samples: Sample[], rss: [number, number][], errorSamples: string[], seconds: number): SoakReport {
  const errors = samples.filter((s) => !s.ok && !s.guardrail).length;
  const byKind = {} as SoakReport["byKind"];
  for (const kind of ["policy", "kv.put", "task", "page"] as Kind[]) {
    const of = samples.filter((s) => s.kind === kind);
    byKind[kind] = {
      requests: of.length,
      errors: of.filter((s) => !s.ok && !s.guardrail).length,
      p50: percentile(
        of.map((s) => s.ms),
        50,
      ),
      p99: percentile(
        of.map((s) => s.ms),
        99,
      ),
    };
  }
  // A minute at each end of a 5-minute soak; a fifth of a shorter one.
  const windowSeconds = Math.min(60, Math.max(1, Math.floor(seconds / 5)));
  const first = percentile(
    samples.filter((s) => s.at < windowSeconds * 1000).map((s) => s.ms),
    99,
  );
  const last = percentile(
    samples.filter((s) => s.at >= (seconds - windowSeconds) * 1000).map((s) => s.ms),
    99,
  );
  const drift = first ? Math.round((last / first) * 100) / 100 : 0;
  // Memory: the trend after the first window (warm-up: JIT, caches, pools filling), least squares in MiB per minute.
  const steady = rss.filter(([t]) => t >= windowSeconds);
  const points = steady.length >= 3 ? steady : rss;
  const meanT = points.reduce((a, [t]) => a + t, 0) / points.length;
  const meanM = points.reduce((a, [, m]) => a + m, 0) / points.length;
  const cov = points.reduce((a, [t, m]) => a + (t - meanT) * (m - meanM), 0);
  const varT = points.reduce((a, [t]) => a + (t - meanT) ** 2, 0);
  const slope = varT ? Math.round((cov / varT) * 60 * 100) / 100 : 0;
  const start = points[0]?.[1] ?? 0;
  const end = rss.at(-1)?.[1] ?? 0;
  const growth = slope * (seconds / 60);
  return {
    seconds: Math.round(seconds),
    clients: CLIENTS,
    requests: samples.length,
    rps: Math.round(samples.length / seconds),
    errors,
    guardrailRefusals: samples.filter((s) => s.guardrail).length,
    errorRate: samples.length ? errors / samples.length : 0,
    errorSamples,
    byKind,
    p99: { windowSeconds, first, last, drift },
    rssMiB: { start, end, max: Math.max(...rss.map(([, m]) => m)), slopeMiBPerMinute: slope, samples: rss },
    verdict: {
      errors: errors === 0,
      drift: drift <= 1.5,
      // No trend: the fitted growth over the run stays within 10% of the steady start (or 20 MiB, for small heaps' noise).
      // Under 3 minutes the heap is still growing to its working size (measured: a plateau after about 50 s): no verdict.
      memory: seconds < MIN_SECONDS_FOR_MEMORY ? null : growth <= Math.max(20, start * 0.1),
    },
  };
}

function print(r: SoakReport) {
  const mark = (ok: boolean | null) =>
    ok === null ? `too short to judge (needs ${MIN_SECONDS_FOR_MEMORY} s)` : ok ? "met" : "MISSED";
  console.log("");
  console.log(`soak: ${r.seconds} s, ${r.clients} clients, ${r.requests} requests (${r.rps} req/s)`);
  console.log("kind".padEnd(10), ...["requests", "errors", "p50 ms", "p99 ms"].map((h) => h.padStart(10)));
  for (const [kind, k] of Object.entries(r.byKind))
    console.log(kind.padEnd(10), ...[k.requests, k.errors, k.p50, k.p99].map((v) => String(v).padStart(10)));
  console.log(
    `errors (not guardrails): ${r.errors} of ${r.requests} (${(r.errorRate * 100).toFixed(3)}%), target 0 → ${mark(r.verdict.errors)}` +
      (r.guardrailRefusals ? `; guardrail refusals: ${r.guardrailRefusals}` : ""),
  );
  for (const e of r.errorSamples) console.log(`  ${e}`);
  console.log(
    `p99 first ${r.p99.windowSeconds} s: ${r.p99.first} ms, last ${r.p99.windowSeconds} s: ${r.p99.last} ms → ×${r.p99.drift}, target ≤ 1.5 → ${mark(r.verdict.drift)}`,
  );
  console.log(
    `app RSS: ${r.rssMiB.start} MiB after warm-up → ${r.rssMiB.end} MiB at the end (max ${r.rssMiB.max}), trend ${r.rssMiB.slopeMiBPerMinute} MiB/min → ${mark(r.verdict.memory)}`,
  );
}
