/**
 * `npm test`: every suite, one summary. Static checks (types, lint), Vitest
 * (unit + integration against real PostgreSQL), then Playwright (api + ui)
 * against the production build. Ends with `N passed, N failed` on its own line
 * and a non-zero exit on any failure.
 *
 * Database: DATABASE_URL's server when set (CI), else the embedded one; each
 * suite creates its own fresh database there and drops it afterwards.
 *
 *   npm test                      everything
 *   npm test -- --only unit|integration|e2e|static
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import path from "node:path";
import { buildIfNeeded } from "./lib/build";
import { ensureChromium } from "./lib/chromium";
import { ROOT } from "./lib/paths";
import { freePort } from "./lib/ports";
import { resolveDatabase, type DatabaseHandle } from "./lib/runtime";
import { withDatabase } from "./lib/test-database";

type Outcome = { suite: string; passed: number; failed: number; skipped: number };
const SUITES = ["static", "unit", "integration", "e2e"] as const;
type Suite = (typeof SUITES)[number];

const onlyIndex = process.argv.indexOf("--only");
const only = onlyIndex >= 0 ? (process.argv[onlyIndex + 1] as Suite) : null;
if (only && !SUITES.includes(only)) {
  console.error(`--only takes one of: ${SUITES.join(", ")}`);
  process.exit(2);
}
const wants = (suite: Suite) => !only || only === suite;
const log = (line: string) => console.log(`\n[test] ${line}`);
const results: Outcome[] = [];
const resultsDir = path.join(ROOT, "test-results");
mkdirSync(resultsDir, { recursive: true });
process.env.NEXT_TELEMETRY_DISABLED = "1";

function run(cmd: string, args: string[], env: Record<string, string> = {}) {
  return spawnSync(cmd, args, { cwd: ROOT, stdio: "inherit", env: { ...process.env, ...env } });
}

function bin(name: string): string {
  return path.join(ROOT, "node_modules", ".bin", name);
}

let database = null as DatabaseHandle | null;
async function databaseServer(): Promise<string> {
  database ??= await resolveDatabase((line) => log(line), "postgres");
  // DATABASE_URL may name a database; fresh ones are created next to it.
  return process.env.DATABASE_URL ? process.env.DATABASE_URL : withDatabase(database.url, "postgres");
}

try {
  if (wants("static")) {
    log("static checks: typecheck, lint");
    const checks: [string, string, string[]][] = [
      ["typecheck", bin("tsc"), ["--noEmit"]],
      ["lint", bin("eslint"), [".", "--max-warnings=0"]],
    ];
    for (const [name, cmd, args] of checks) {
      const ok = run(cmd, args).status === 0;
      console.log(`[test] ${name}: ${ok ? "ok" : "FAILED"}`);
      results.push({ suite: name, passed: ok ? 1 : 0, failed: ok ? 0 : 1, skipped: 0 });
    }
  }

  if (wants("unit") || wants("integration")) {
    const projects = [wants("unit") ? "unit" : null, wants("integration") ? "integration" : null].filter(
      Boolean,
    ) as string[];
    const env: Record<string, string> = {};
    if (projects.includes("integration")) env.TEST_DATABASE_SERVER_URL = await databaseServer();
    log(`vitest: ${projects.join(" + ")}`);
    const out = path.join(resultsDir, "vitest.json");
    rmSync(out, { force: true });
    run(
      bin("vitest"),
      [
        "run",
        ...projects.flatMap((p) => ["--project", p]),
        "--reporter=default",
        "--reporter=json",
        `--outputFile.json=${out}`,
      ],
      env,
    );
    if (existsSync(out)) {
      const report = JSON.parse(readFileSync(out, "utf8")) as {
        numPassedTests: number;
        numFailedTests: number;
        numPendingTests: number;
        numTodoTests: number;
        numFailedTestSuites: number;
      };
      results.push({
        suite: "vitest",
        passed: report.numPassedTests,
        // A file that fails to load has no failed test but is a failure all the same.
        failed: report.numFailedTests + (report.numFailedTests === 0 ? report.numFailedTestSuites : 0),
        skipped: report.numPendingTests + report.numTodoTests,
      });
    } else {
      results.push({ suite: "vitest", passed: 0, failed: 1, skipped: 0 });
    }
  }

  if (wants("e2e")) {
    log("end-to-end: Chromium, production build, Playwright");
    const chromium = ensureChromium((line) => log(line));
    buildIfNeeded((line) => log(line));
    const out = path.join(resultsDir, "e2e.json");
    rmSync(out, { force: true });
    run(bin("playwright"), ["test"], {
      CHROMIUM_PATH: chromium,
      E2E_PORT: String(await freePort()),
      TEST_DATABASE_SERVER_URL: await databaseServer(),
      PLAYWRIGHT_JSON_OUTPUT_FILE: out,
    });
    if (existsSync(out)) {
      const { stats } = JSON.parse(readFileSync(out, "utf8")) as {
        stats: { expected: number; unexpected: number; flaky: number; skipped: number };
      };
      const failed = stats.unexpected + stats.flaky;
      results.push({
        suite: "playwright",
        passed: stats.expected,
        failed: failed || (stats.expected === 0 ? 1 : 0),
        skipped: stats.skipped,
      });
    } else {
      results.push({ suite: "playwright", passed: 0, failed: 1, skipped: 0 });
    }
  }
} catch (error) {
  console.error(`[test] ${error instanceof Error ? error.message : String(error)}`);
  results.push({ suite: "setup", passed: 0, failed: 1, skipped: 0 });
} finally {
  await database?.close();
}

const total = results.reduce(
  (t, r) => ({ passed: t.passed + r.passed, failed: t.failed + r.failed, skipped: t.skipped + r.skipped }),
  {
    passed: 0,
    failed: 0,
    skipped: 0,
  },
);
console.log("\n[test] summary");
for (const r of results)
  console.log(
    `[test]   ${r.suite.padEnd(11)} ${r.passed} passed, ${r.failed} failed${r.skipped ? `, ${r.skipped} skipped` : ""}`,
  );
console.log(`${total.passed} passed, ${total.failed} failed${total.skipped ? `, ${total.skipped} skipped` : ""}`);
process.exit(total.failed > 0 ? 1 : 0);
