/**
 * A private PostgreSQL for the outage proof, which a test may stop and start:
 * the repository's own embedded launcher (scripts/lib/embedded-postgres.ts,
 * as `npm start` uses it) with a data directory of its own — BASEKV_DATA_DIR
 * points it at a temporary directory, so its cluster, port and password are
 * this test's alone; the machine's PostgreSQL is never touched.
 *
 * Driven over stdin, one command a line: `stop`, `start`. Answers one JSON
 * line per command: {"state":"up","url":"…"} or {"state":"down"}. On EOF (or
 * SIGTERM) it stops the cluster and exits.
 *
 *   BASEKV_DATA_DIR=/tmp/x tsx e2e/faults/pg-cluster.ts
 */
import { createInterface } from "node:readline";
import { startEmbeddedPostgres, type EmbeddedPostgres } from "../../scripts/lib/embedded-postgres";
import { ensureDatabase } from "../../scripts/lib/runtime";

if (!process.env.BASEKV_DATA_DIR) {
  console.error("pg-cluster: BASEKV_DATA_DIR must name a private directory");
  process.exit(2);
}

let cluster: EmbeddedPostgres | null = null;
const say = (state: object) => process.stdout.write(JSON.stringify(state) + "\n");

async function start() {
  cluster = await startEmbeddedPostgres();
  await ensureDatabase(cluster.url("postgres"), "basekv");
  say({ state: "up", url: cluster.url("basekv") });
}

async function stop() {
  await cluster?.stop();
  cluster = null;
  say({ state: "down" });
}

async function quit() {
  await cluster?.stop();
  process.exit(0);
}
process.on("SIGTERM", () => void quit());

await start();
const commands = createInterface({ input: process.stdin });
for await (const line of commands) {
  try {
    if (line.trim() === "stop") await stop();
    else if (line.trim() === "start") await start();
  } catch (error) {
    say({ state: "error", message: error instanceof Error ? error.message : String(error) });
  }
}
await quit();
