/**
 * The audit trail at scale (issue #8): seeds 1,000,000 audit events in one
 * workspace with one set-based INSERT … SELECT generate_series, then measures
 * in this process — timing the search function itself, as the dashboard calls
 * it — the p95 of the first page of three typical searches, and the export
 * rate (rows/s) with the process's peak memory while it streams every row.
 *
 *   npm run bench -- --only audit        (alone, on a fresh database)
 *   BENCH_AUDIT_EVENTS=200000 …          (a smaller run while iterating)
 *
 * Called by scripts/bench.ts after the HTTP cases; writes bench/audit-results.json.
 */
import { generateKeyPairSync, randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { ROOT } from "./lib/paths";

type Log = (line: string) => void;
const EVENTS = Number(process.env.BENCH_AUDIT_EVENTS ?? 1_000_000);
const RUNS = 40;
const DAY_MS = 86_400_000;

function p95(samples: number[]): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return Math.round(sorted[Math.min(sorted.length - 1, Math.ceil(sorted.length * 0.95) - 1)]! * 10) / 10;
}

const mb = (bytes: number) => Math.round((bytes / 1024 / 1024) * 10) / 10;

/** A signing key and anchor file of the bench's own, unless the environment has them (read once, at first use). */
export function benchAuditSigning() {
  process.env.AUDIT_SIGNING_KEY ??= generateKeyPairSync("ed25519")
    .privateKey.export({ format: "der", type: "pkcs8" })
    .toString("base64url");
  process.env.AUDIT_ANCHOR_FILE ??= path.join(mkdtempSync(path.join(os.tmpdir(), "basekv-bench-")), "anchors.ndjson");
}

const NEW_EVENTS = 10_000;
const CHECKPOINT_EVERY = 1_000;

export async function benchAudit(log: Log = (l) => console.log(`[bench:audit] ${l}`)) {
  const { getDb } = await import("@/lib/server/db");
  const { createWorkspace } = await import("@/lib/server/workspaces/create-workspace");
  const { searchAudit } = await import("@/lib/server/audit-trail/search-audit");
  const { exportAudit } = await import("@/lib/server/audit-trail/export-audit");
  const { sealPendingEvents } = await import("@/lib/server/audit-trail/seal-events");
  const { makeCheckpoints } = await import("@/lib/server/audit-trail/checkpoint");
  const { verifyWorkspaceChain } = await import("@/lib/server/audit-trail/verify-chain");
  const db = getDb();
  const actor = { type: "cli" as const, id: "bench", name: "bench" };
  const workspace = await createWorkspace({ slug: `bench-audit-${Date.now().toString(36)}`, actor });

  log(`seeding ${EVENTS.toLocaleString("en")} audit events in one workspace (INSERT … SELECT generate_series)`);
  let started = performance.now();
  // 60 days of traffic: 50 actors (1 in 10 a person), 20 namespaces, 50,000 keys,
  // ~10 events per correlation id, 1% refusals, reasons of a few words.
  await db.$executeRaw`
    INSERT INTO audit_event (workspace_id, actor_type, actor_id, actor_name, action, outcome, namespace, target,
                             reason, correlation_id, request_id, details, created_at)
    SELECT ${workspace.id},
           (CASE WHEN g % 50 < 5 THEN 'user' ELSE 'identity' END)::actor_type,
           'idn_bench_' || (g % 50), 'bot-' || (g % 50),
           (ARRAY['kv.put', 'kv.put', 'kv.delete', 'task.started', 'task.step_completed'])[1 + g % 5],
           (CASE WHEN g % 97 = 0 THEN 'denied' ELSE 'success' END)::audit_outcome,
           'ns.' || (g % 20), 'key-' || (g % 50000), 'nightly import, batch ' || (g % 1000),
           'corr-' || (g / 10), 'req_' || g, jsonb_build_object('versionBefore', g % 7, 'versionAfter', g % 7 + 1),
           now() - make_interval(secs => (${EVENTS} - g) * (60 * 86400.0 / ${EVENTS}))
    FROM generate_series(1, ${EVENTS}::int) AS g`;
  await db.$executeRawUnsafe(`ANALYZE audit_event`);
  const seedSeconds = Math.round((performance.now() - started) / 100) / 10;
  log(`seeded in ${seedSeconds} s (${Math.round(EVENTS / seedSeconds).toLocaleString("en")} rows/s)`);

  const now = Date.now();
  const searches: Record<string, (i: number) => Parameters<typeof searchAudit>[1]> = {
    "one namespace, last 7 days": (i) => ({ namespace: `ns.${i % 20}`, from: new Date(now - 7 * DAY_MS) }),
    "one correlation id": (i) => ({ correlation: `corr-${Math.floor(((i * 7919) % EVENTS) / 10)}` }),
    "one actor, last 30 days": (i) => ({ actor: `bot-${i % 50}`, from: new Date(now - 30 * DAY_MS) }),
  };
  const results: Record<string, { p95Ms: number; rows: number }> = {};
  for (const [name, filter] of Object.entries(searches)) {
    await searchAudit(workspace.id, filter(0)); // warm the plan and the cache once
    const samples: number[] = [];
    let rows = 0;
    for (let i = 1; i <= RUNS; i++) {
      const t = performance.now();
      const page = await searchAudit(workspace.id, filter(i), { limit: 50 });
      samples.push(performance.now() - t);
      rows = page.items.length;
    }
    results[name] = { p95Ms: p95(samples), rows };
    log(`search "${name}": p95 ${results[name].p95Ms} ms over ${RUNS} first pages (${rows} rows)`);
  }

  log("exporting every event as NDJSON (streamed, discarded), sampling memory");
  const baseline = process.memoryUsage();
  let exported = 0;
  let peakRss = baseline.rss;
  let peakHeap = baseline.heapUsed;
  // Peak RSS in each quarter of the export: flat memory means the last quarter peaks no higher than the first.
  const quarterPeaks = [0, 0, 0, 0];
  const sampler = setInterval(() => {
    const m = process.memoryUsage();
    peakRss = Math.max(peakRss, m.rss);
    peakHeap = Math.max(peakHeap, m.heapUsed);
    const quarter = Math.min(3, Math.floor((exported / EVENTS) * 4));
    quarterPeaks[quarter] = Math.max(quarterPeaks[quarter]!, mb(m.rss));
  }, 25);
  started = performance.now();
  let bytes = 0;
  const chunks = await exportAudit({ workspaceId: workspace.id, filter: {}, format: "ndjson", actor });
  for await (const chunk of chunks) {
    bytes += chunk.length;
    for (let i = chunk.indexOf("\n"); i !== -1; i = chunk.indexOf("\n", i + 1)) exported++;
  }
  const exportSeconds = (performance.now() - started) / 1000;
  clearInterval(sampler);
  const rate = Math.round(exported / exportSeconds);
  const exportResult = {
    rows: exported,
    seconds: Math.round(exportSeconds * 10) / 10,
    rowsPerSecond: rate,
    megabytes: mb(bytes),
    rssBeforeMb: mb(baseline.rss),
    peakRssMb: mb(peakRss),
    heapBeforeMb: mb(baseline.heapUsed),
    peakHeapMb: mb(peakHeap),
    peakRssMbByQuarter: quarterPeaks,
  };
  log(
    `export: ${exported.toLocaleString("en")} rows in ${exportResult.seconds} s = ${rate.toLocaleString("en")} rows/s; ` +
      `RSS ${exportResult.rssBeforeMb} → peak ${exportResult.peakRssMb} MB (peak per quarter of the rows: ${quarterPeaks.join(" / ")} MB), ` +
      `heap ${exportResult.heapBeforeMb} → peak ${exportResult.peakHeapMb} MB`,
  );

  // Verify (issue #18): seal everything with a signed checkpoint every 1,000 events (the default
  // AUDIT_CHECKPOINT_EVENTS), a full pass, 10,000 new events, then the dashboard's incremental pass.
  const sealWithCheckpoints = async () => {
    for (;;) {
      const sealed = await sealPendingEvents({ wait: true, maxBatches: CHECKPOINT_EVERY / 500 });
      if (sealed.sealed === 0) return;
      await makeCheckpoints({ chainKey: workspace.id, force: true, wait: true });
    }
  };
  log(`sealing every event, with a signed checkpoint every ${CHECKPOINT_EVERY.toLocaleString("en")}`);
  started = performance.now();
  await sealWithCheckpoints();
  const sealSeconds = Math.round((performance.now() - started) / 100) / 10;
  started = performance.now();
  const full = await verifyWorkspaceChain(workspace.id);
  const fullSeconds = (performance.now() - started) / 1000;
  await db.$executeRaw`
    INSERT INTO audit_event (workspace_id, actor_type, actor_name, action, outcome, reason, created_at)
    SELECT ${workspace.id}, 'identity', 'bot-new', 'kv.put', 'success', 'after the full pass', now()
    FROM generate_series(1, ${NEW_EVENTS}::int)`;
  await sealWithCheckpoints();
  started = performance.now();
  const incremental = await verifyWorkspaceChain(workspace.id, { incremental: true });
  const incrementalSeconds = (performance.now() - started) / 1000;
  const verifyResult = {
    sealSeconds,
    full: { ok: full.ok, events: full.events, seconds: Math.round(fullSeconds * 100) / 100 },
    incremental: {
      ok: incremental.ok,
      events: incremental.events,
      from: incremental.from,
      seconds: Math.round(incrementalSeconds * 100) / 100,
    },
    ratio: Math.round((incrementalSeconds / fullSeconds) * 1000) / 1000,
  };
  log(
    `verify: full pass ${verifyResult.full.seconds} s over ${full.events.toLocaleString("en")} events (ok: ${full.ok}); ` +
      `incremental after ${NEW_EVENTS.toLocaleString("en")} new events ${verifyResult.incremental.seconds} s from #${incremental.from} ` +
      `(ok: ${incremental.ok}) = ${(verifyResult.ratio * 100).toFixed(1)} % of the full pass (sealing took ${sealSeconds} s)`,
  );

  const targets = {
    "search p95 ≤ 100 ms": Object.values(results).every((r) => r.p95Ms <= 100),
    "export ≥ 50,000 rows/s": rate >= 50_000,
    "incremental verify ≤ 5 % of a full one": full.ok && incremental.ok && verifyResult.ratio <= 0.05,
  };
  for (const [name, met] of Object.entries(targets)) log(`${name}: ${met ? "met" : "MISSED"}`);
  const report = {
    at: new Date().toISOString(),
    events: EVENTS,
    seedSeconds,
    searches: results,
    export: exportResult,
    verify: verifyResult,
    targets,
  };
  mkdirSync(path.join(ROOT, "bench"), { recursive: true });
  writeFileSync(path.join(ROOT, "bench", "audit-results.json"), JSON.stringify(report, null, 2));
  log("wrote bench/audit-results.json");
  return report;
}

/** `npm run bench -- --only audit`: this module alone, on a fresh database of its own. */
export async function runAuditBenchAlone(): Promise<number> {
  const { createFreshDatabase } = await import("./lib/test-database");
  const database = await createFreshDatabase("bench_audit");
  process.env.DATABASE_URL = database.url;
  benchAuditSigning();
  process.env.AUTH_SECRET ??= randomBytes(32).toString("base64url");
  try {
    await benchAudit();
    return 0;
  } catch (error) {
    console.error(`[bench:audit] ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  } finally {
    const { disconnectDb } = await import("@/lib/server/db");
    await disconnectDb().catch(() => {});
    await database.drop().catch(() => {});
  }
}
