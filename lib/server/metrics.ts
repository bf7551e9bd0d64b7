import "server-only";
import { createHash, timingSafeEqual } from "node:crypto";
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";
import { decideMode } from "@/lib/core/budget";
import { localDay } from "@/lib/core/calendar";
import { FINAL_STATUSES } from "@/lib/core/tasks";
import { env } from "@/lib/env";
import { getDb } from "./db";
import { logger } from "./logger";

/**
 * Prometheus metrics of one app process (GET /api/metrics, prom-client).
 *
 * Request counters and latencies are recorded in memory by the agent-route
 * wrapper (observeAgentRequest: synchronous, no I/O). Workspace budgets and
 * modes, tasks by status and open escalations are read from the database
 * when scraped — three indexed, grouped queries, cached for a few seconds so
 * that frequent scrapes cost the database nothing more. Background jobs record
 * when they last completed (recordJobSuccess), so an alert can fire on lag.
 *
 * The state lives on globalThis: Next.js bundles instrumentation (which runs
 * the jobs) apart from the route handlers, and both must feed one registry.
 */

type Metrics = {
  registry: Registry;
  requests: Counter<"route" | "method" | "status">;
  duration: Histogram<"route" | "method">;
  jobLastSuccess: Gauge<"job">;
  jobLag: Gauge<"job">;
  jobFailures: Counter<"job">;
  unauditedRefusals: Counter;
  jobSuccessAt: Map<string, number>;
  budgetUsed: Gauge<"workspace">;
  budgetLimit: Gauge<"workspace">;
  mode: Gauge<"workspace" | "mode">;
  tasks: Gauge<"workspace" | "status">;
  escalations: Gauge<"workspace" | "status">;
  scrapedAt: number;
};

const GLOBAL_KEY = Symbol.for("basekv.metrics");
/** Database gauges are re-read at most this often, whatever the scrape rate. */
const DB_GAUGES_TTL_MS = 5_000;
const MODES = ["normal", "degraded", "stopped"] as const;

function create(): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const registers = [registry];
  return {
    registry,
    requests: new Counter({
      name: "basekv_agent_requests_total",
      help: "Agent API requests by route, method and response status.",
      labelNames: ["route", "method", "status"],
      registers,
    }),
    duration: new Histogram({
      name: "basekv_agent_request_duration_seconds",
      help: "Agent API request latency, from the wrapper's start to the response.",
      labelNames: ["route", "method"],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    }),
    jobLastSuccess: new Gauge({
      name: "basekv_job_last_success_timestamp_seconds",
      help: "When this process last completed a background job run without error (Unix seconds).",
      labelNames: ["job"],
      registers,
    }),
    jobLag: new Gauge({
      name: "basekv_job_seconds_since_last_success",
      help: "Seconds since this process last completed a background job run without error.",
      labelNames: ["job"],
      registers,
    }),
    jobFailures: new Counter({
      name: "basekv_job_failures_total",
      help: "Background job runs that failed (they are retried on the next tick).",
      labelNames: ["job"],
      registers,
    }),
    unauditedRefusals: new Counter({
      name: "basekv_agent_refusals_unaudited_total",
      help: "Agent calls refused before their key was known and not written to the audit trail, because their client address had reached its audited refusals for the minute.",
      registers,
    }),
    jobSuccessAt: new Map(),
    budgetUsed: new Gauge({
      name: "basekv_workspace_requests_used",
      help: "Requests counted against the workspace's daily budget today (its local day).",
      labelNames: ["workspace"],
      registers,
    }),
    budgetLimit: new Gauge({
      name: "basekv_workspace_requests_limit",
      help: "The workspace's daily request limit (absent when unlimited).",
      labelNames: ["workspace"],
      registers,
    }),
    mode: new Gauge({
      name: "basekv_workspace_mode",
      help: "1 for the workspace's current guardrail mode (normal, degraded, stopped), 0 for the others.",
      labelNames: ["workspace", "mode"],
      registers,
    }),
    tasks: new Gauge({
      name: "basekv_tasks",
      help: "Tasks by workspace and status (non-final statuses only; committed and cancelled grow without bound).",
      labelNames: ["workspace", "status"],
      registers,
    }),
    escalations: new Gauge({
      name: "basekv_escalations_open",
      help: "Escalations not yet resolved, by workspace and status (open, acknowledged).",
      labelNames: ["workspace", "status"],
      registers,
    }),
    scrapedAt: 0,
  };
}

function metrics(): Metrics {
  const g = globalThis as { [GLOBAL_KEY]?: Metrics };
  g[GLOBAL_KEY] ??= create();
  return g[GLOBAL_KEY];
}

// ——— recording (hot path: synchronous, no I/O) ———

const ROUTE_TEMPLATES: [RegExp, string][] = [
  [/^\/api\/v1\/policy$/, "/api/v1/policy"],
  [/^\/api\/v1\/kv\/[^/]+$/, "/api/v1/kv/{namespace}"],
  [/^\/api\/v1\/kv\/[^/]+\/[^/]+$/, "/api/v1/kv/{namespace}/{key}"],
  [/^\/api\/v1\/tasks$/, "/api/v1/tasks"],
  [/^\/api\/v1\/tasks\/[^/]+$/, "/api/v1/tasks/{id}"],
  [/^\/api\/v1\/tasks\/[^/]+\/events$/, "/api/v1/tasks/{id}/events"],
];

/**
 * A bounded label: a path (`/api/v1/kv/billing.runs/k1`) becomes its template;
 * anything else (e.g. the wrapper's action name, `kv.put`) is kept as given.
 */
export function routeLabel(route: string): string {
  if (!route.startsWith("/")) return route;
  const path = route.split("?")[0]!;
  return ROUTE_TEMPLATES.find(([pattern]) => pattern.test(path))?.[1] ?? "other";
}

/** One agent API request, as the agent-route wrapper answered it. */
export function observeAgentRequest(input: { route: string; method: string; status: number; durationMs: number }) {
  const m = metrics();
  const route = routeLabel(input.route);
  const method = input.method.toUpperCase();
  m.requests.inc({ route, method, status: String(input.status) });
  m.duration.observe({ route, method }, Math.max(0, input.durationMs) / 1000);
}

/** An unauthenticated refusal left out of the audit trail (its address is over its per-minute allowance). */
export function countUnauditedRefusal() {
  metrics().unauditedRefusals.inc();
}

/** A background job run completed without error (whether or not this instance held its lock). */
export function recordJobSuccess(job: string, at: number = Date.now()) {
  const m = metrics();
  m.jobSuccessAt.set(job, at);
  m.jobLastSuccess.set({ job }, at / 1000);
}

export function recordJobFailure(job: string) {
  metrics().jobFailures.inc({ job });
}

// ——— scraping ———

async function collectDatabaseGauges(now: Date) {
  const db = getDb();
  const finals = FINAL_STATUSES as readonly string[];
  const [workspaces, tasks, escalations] = await Promise.all([
    db.workspace.findMany({
      select: {
        id: true,
        slug: true,
        timeZone: true,
        dailyRequestLimit: true,
        degradeAtPercent: true,
        killSwitch: true,
      },
    }),
    db.$queryRaw<{ slug: string; status: string; n: number }[]>`
      SELECT w.slug, t.status::text AS status, count(*)::int AS n
      FROM task t JOIN workspace w ON w.id = t.workspace_id
      WHERE t.status::text <> ALL (${finals}::text[])
      GROUP BY w.slug, t.status`,
    db.$queryRaw<{ slug: string; status: string; n: number }[]>`
      SELECT w.slug, e.status::text AS status, count(*)::int AS n
      FROM escalation e JOIN workspace w ON w.id = e.workspace_id
      WHERE e.status IN ('open', 'acknowledged')
      GROUP BY w.slug, e.status`,
  ]);
  // Today's usage per workspace, each on its own local day: one lookup on the counters' primary key.
  const days = workspaces.map((w) => localDay(now, w.timeZone));
  const usage = workspaces.length
    ? await db.$queryRaw<{ scope_id: string; used: number }[]>`
        SELECT u.scope_id, sum(u.used)::int AS used FROM usage_slot u
        JOIN unnest(${workspaces.map((w) => w.id)}::text[], ${days}::date[]) AS today(scope_id, day)
          ON today.scope_id = u.scope_id AND today.day = u.day
        GROUP BY u.scope_id`
    : [];
  const usedBy = new Map(usage.map((u) => [u.scope_id, u.used]));

  const m = metrics();
  for (const gauge of [m.budgetUsed, m.budgetLimit, m.mode, m.tasks, m.escalations]) gauge.reset();
  for (const w of workspaces) {
    const used = usedBy.get(w.id) ?? 0;
    m.budgetUsed.set({ workspace: w.slug }, used);
    if (w.dailyRequestLimit !== null) m.budgetLimit.set({ workspace: w.slug }, w.dailyRequestLimit);
    const mode = decideMode({
      limit: w.dailyRequestLimit,
      used,
      degradeAtPercent: w.degradeAtPercent,
      killSwitch: w.killSwitch,
    });
    for (const candidate of MODES) m.mode.set({ workspace: w.slug, mode: candidate }, candidate === mode ? 1 : 0);
  }
  for (const t of tasks) m.tasks.set({ workspace: t.slug, status: t.status }, t.n);
  for (const e of escalations) m.escalations.set({ workspace: e.slug, status: e.status }, e.n);
}

/** The exposition text (and its content type). Database gauges are refreshed when older than a few seconds. */
export async function renderMetrics(now: Date = new Date()): Promise<{ contentType: string; body: string }> {
  const m = metrics();
  if (now.getTime() - m.scrapedAt >= DB_GAUGES_TTL_MS) {
    await collectDatabaseGauges(now);
    m.scrapedAt = now.getTime();
  }
  for (const [job, at] of m.jobSuccessAt) m.jobLag.set({ job }, Math.max(0, (now.getTime() - at) / 1000));
  return { contentType: m.registry.contentType, body: await m.registry.metrics() };
}

function sameSecret(given: string, expected: string): boolean {
  // Compare digests: constant time, and equal lengths whatever was sent.
  const a = createHash("sha256").update(given).digest();
  const b = createHash("sha256").update(expected).digest();
  return timingSafeEqual(a, b);
}

/** GET /api/metrics: 404 when METRICS_TOKEN is unset, 401 without the right bearer token. */
export async function metricsResponse(
  request: Request,
  { token }: { token: string | undefined } = { token: env().METRICS_TOKEN },
): Promise<Response> {
  const noStore = { "Cache-Control": "no-store" };
  if (!token)
    return new Response("Not Found\n", { status: 404, headers: { ...noStore, "Content-Type": "text/plain" } });
  const match = /^Bearer\s+(\S+)\s*$/i.exec(request.headers.get("authorization") ?? "");
  if (!match || !sameSecret(match[1]!, token)) {
    return new Response("Unauthorized\n", {
      status: 401,
      headers: { ...noStore, "Content-Type": "text/plain", "WWW-Authenticate": 'Bearer realm="metrics"' },
    });
  }
  try {
    const { contentType, body } = await renderMetrics();
    return new Response(body, { headers: { ...noStore, "Content-Type": contentType } });
  } catch (error) {
    logger.error({ err: error }, "could not collect metrics");
    return new Response("metrics unavailable\n", {
      status: 503,
      headers: { ...noStore, "Content-Type": "text/plain" },
    });
  }
}

/** One line at startup saying whether /api/metrics is on. */
export function logMetricsStatus() {
  if (env().METRICS_TOKEN) logger.info({ endpoint: "/api/metrics" }, "metrics enabled (bearer METRICS_TOKEN)");
  else
    logger.info({ endpoint: "/api/metrics" }, "metrics disabled: METRICS_TOKEN is not set, /api/metrics answers 404");
}
