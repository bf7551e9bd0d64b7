/**
 * Issue #10: PostgreSQL goes away under load and comes back. The app runs on a
 * private cluster (the repository's embedded launcher with a data directory of
 * its own, e2e/faults/pg-cluster.ts) that the test stops for a few seconds
 * while agents write and run tasks. Meanwhile `/api/health` answers 503 and
 * agent calls 500 `internal` in the API's envelope, with nothing of the
 * internals; once the database is back the same app process serves again (its
 * pool reconnects) and nothing acknowledged was lost or done twice.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import { expect, test } from "@playwright/test";
import { provisionAppDatabase } from "../../scripts/lib/app-role";
import { TEST_APP_ROLE_SECRET } from "../../scripts/lib/test-database";
import { migrate } from "../../scripts/lib/migrations";
import { freePort } from "../../scripts/lib/ports";
import {
  expectCleanServerErrors,
  auditVerify,
  expectNothingLost,
  newAuthSecret,
  newLedger,
  provision,
  runAgents,
  sleep,
  startApp,
  stopApp,
  type App,
} from "./harness";

const CLIENTS = 6;
const OUTAGE_MS = 4_000;

type ClusterState = { state: "up"; url: string } | { state: "down" } | { state: "error"; message: string };

/** The private cluster's driver process, and its answers one at a time. */
function privateCluster(dataDir: string) {
  const child: ChildProcess = spawn(
    process.execPath,
    [path.join("node_modules", "tsx", "dist", "cli.mjs"), "e2e/faults/pg-cluster.ts"],
    { env: { ...process.env, BASEKV_DATA_DIR: dataDir }, stdio: ["pipe", "pipe", "inherit"] },
  );
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  const next = async (): Promise<ClusterState> => {
    const line = await lines.next();
    if (line.done) throw new Error("the cluster driver exited");
    return JSON.parse(line.value) as ClusterState;
  };
  return {
    next,
    command: async (command: "stop" | "start") => {
      child.stdin!.write(`${command}\n`);
      return next();
    },
    close: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once("exit", () => resolve());
        child.stdin!.end(); // the driver stops the cluster on EOF
      }),
  };
}

async function health(app: App): Promise<{ status: number; body: string }> {
  const response = await fetch(`${app.url}/api/health`);
  return { status: response.status, body: await response.text() };
}

test("PostgreSQL stopped under load: health 503 and agent calls 500 internal meanwhile; started again: the same app serves, nothing lost", async () => {
  test.setTimeout(180_000);
  const dataDir = mkdtempSync(path.join(os.tmpdir(), "basekv-faults-pg-"));
  const cluster = privateCluster(dataDir);
  let app: App | null = null;
  try {
    const up = await cluster.next();
    if (up.state !== "up") throw new Error(`the private cluster did not start: ${JSON.stringify(up)}`);
    await migrate(up.url);
    // As in production: the app connects as its own unprivileged role (issue #18), the cluster's superuser migrated.
    const appDb = await provisionAppDatabase({ ownerUrl: up.url, secret: TEST_APP_ROLE_SECRET });
    const tenant = provision(appDb.appUrl, "faults-outage");
    app = await startApp({ databaseUrl: appDb.appUrl, port: await freePort(), authSecret: newAuthSecret() });
    const auth = { Authorization: `Bearer ${tenant.key}`, "Content-Type": "application/json" };
    const probePut = (key: string) =>
      fetch(`${app!.url}/api/v1/kv/faults.data/${key}`, { method: "PUT", headers: auth, body: '{"value":1}' });

    const ledger = newLedger();
    let stop = false;
    const agents = runAgents({
      baseUrl: app.url,
      apiKey: tenant.key,
      clients: CLIENTS,
      ledger,
      stop: () => stop,
      dropAnswers: 0.03,
    });
    await sleep(5_000);
    expect((await health(app)).status).toBe(200);
    const ackedBefore = ledger.counted;
    // Only calls in flight while the database goes down can lose their refund: the most at once bounds them.
    ledger.wire.maxInFlight = ledger.wire.inFlight;
    expect(await cluster.command("stop")).toEqual({ state: "down" });
    const inFlightAtStop = ledger.wire.maxInFlight;
    const stoppedAt = Date.now();

    // Down: health says so, agent calls fail as the contract says — 500 internal, the envelope, no internals.
    const down = await health(app);
    expect(down.status).toBe(503);
    expect(JSON.parse(down.body)).toEqual({
      status: "error",
      database: "down",
      auditSigningKey: { keyId: expect.any(String), publicKey: expect.any(String) }, // not the database's (issue #18)
    });
    for (const response of [await probePut("probe-down"), await fetch(`${app.url}/api/v1/policy`, { headers: auth })]) {
      expect(response.status).toBe(500);
      expect(response.headers.get("content-type")).toContain("application/json");
      const body = await response.text();
      expect(body).not.toMatch(/\bat \S+ \(|stack|ECONN|postgres|prisma|SELECT/i);
      expect(JSON.parse(body)).toMatchObject({
        error: { code: "internal", message: expect.any(String), requestId: expect.stringMatching(/^req_/) },
      });
    }
    await sleep(Math.max(0, OUTAGE_MS - (Date.now() - stoppedAt)));
    const ackedDuringOutage = ledger.counted - ackedBefore;

    // Back: the same process recovers on its own.
    const back = await cluster.command("start");
    expect(back).toEqual({ state: "up", url: up.url });
    const restartedAt = Date.now();
    let recovered: { status: number; body: string } = { status: 0, body: "" };
    while (Date.now() - restartedAt < 15_000) {
      recovered = await health(app);
      if (recovered.status === 200) break;
      await sleep(100);
    }
    expect(recovered.status, "health recovers within 15 s of the database").toBe(200);
    const recoveryMs = Date.now() - restartedAt;
    const probeBack = await probePut("probe-back");
    expect(probeBack.status).toBe(201);
    const ackedAtRecovery = ledger.counted;
    await sleep(5_000);
    stop = true;
    await agents;

    expect(app.child.exitCode, "the app process was never restarted").toBeNull();
    expect(app.child.signalCode).toBeNull();
    expect(ackedBefore, "under load before the outage").toBeGreaterThan(30);
    expect(ledger.counted - ackedAtRecovery, "and after it").toBeGreaterThan(30);
    expect(ledger.wire.statuses["500"] ?? 0, "the agents met the outage as 500s").toBeGreaterThan(0);
    expectCleanServerErrors(ledger);
    expect(ledger.wire.replays, "every lost answer was replayed, not run again").toBeGreaterThanOrEqual(
      ledger.wire.dropped,
    );
    // The probe of the outage never wrote; the one after it did, once.
    ledger.writes.push({
      key: "probe-back",
      n: 1,
      version: 1,
      value: 1,
      requestId: probeBack.headers.get("x-request-id"),
    });
    ledger.counted++;
    const accounting = await expectNothingLost({ databaseUrl: up.url, tenant, ledger, strandedBound: inFlightAtStop });
    // The tamper-evident trail survived too: every event sealed, the chain verifies.
    const chain = auditVerify(up.url, tenant.slug);
    expect(chain).toMatchObject({ ok: true });
    expect(chain.pending ?? 0).toBe(0);
    expect(chain.events).toBeGreaterThan(ledger.writes.length);
    console.log(
      `[faults] outage: ${OUTAGE_MS} ms without PostgreSQL; health back ${recoveryMs} ms after it; ` +
        `${ledger.wire.statuses["500"] ?? 0} answers 500 to the agents, ${ackedDuringOutage} calls acknowledged meanwhile; ` +
        `${ledger.writes.length} writes and ${ledger.tasks.length} tasks acknowledged; ` +
        `budget ${accounting.workspaceUsed} used for ${accounting.accepted} accepted (${accounting.stranded} stranded, ` +
        `${inFlightAtStop} in flight at the stop)`,
    );
  } finally {
    await stopApp(app);
    await cluster.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
});
