/**
 * Issue #10, "prove nothing is lost": the production app is killed with
 * SIGKILL while agents write and run tasks through the SDK, then started again
 * on the same port and database; the agents ride it out on their retries
 * (same Idempotency-Key per logical call). The database must then hold every
 * acknowledged write and task event exactly once, and the budgets every
 * accepted call once (plus at most one stranded unit per call in flight at
 * the kill — README, "Guarantees"). A few answers are also lost on the way
 * back (work done, client not told), so retries that must replay are certain,
 * not left to where a kill happens to land.
 */
import { expect, test } from "@playwright/test";
import { freePort } from "../../scripts/lib/ports";
import { createFreshDatabase } from "../../scripts/lib/test-database";
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
const KILLS = 2;
const LOAD_MS = 5_000;
/** Share of 2xx answers lost on the way back (the server did the work; the client retries). */
const DROP_ANSWERS = 0.03;

test("kill -9 of the app under load, twice, with answers lost: every acknowledged write and task event is stored exactly once, budgets count each accepted call once", async () => {
  test.setTimeout(180_000);
  const db = await createFreshDatabase("faults_crash");
  let app: App | null = null;
  try {
    const tenant = provision(db.url, "faults-crash");
    const port = await freePort();
    const authSecret = newAuthSecret();
    app = await startApp({ databaseUrl: db.url, port, authSecret });

    const ledger = newLedger();
    let stop = false;
    const agents = runAgents({
      baseUrl: app.url,
      apiKey: tenant.key,
      clients: CLIENTS,
      ledger,
      stop: () => stop,
      dropAnswers: DROP_ANSWERS,
    });
    const kills: { ackedBefore: number; inFlight: number }[] = [];
    for (let k = 0; k < KILLS; k++) {
      await sleep(LOAD_MS);
      // Every client has at most one request in flight: only those can be cut between budget and work.
      kills.push({ ackedBefore: ledger.counted, inFlight: ledger.wire.inFlight });
      const killedPid = app.pid;
      await stopApp(app, "SIGKILL");
      app = null;
      await sleep(500); // the clients meet a closed port meanwhile
      app = await startApp({ databaseUrl: db.url, port, authSecret });
      expect(app.pid).not.toBe(killedPid);
    }
    const ackedAtLastRestart = ledger.counted;
    await sleep(LOAD_MS);
    stop = true;
    await agents;

    expect(kills[0]!.ackedBefore, "the app was under load when it was killed").toBeGreaterThan(30);
    expect(kills[1]!.ackedBefore - kills[0]!.ackedBefore, "served between the kills").toBeGreaterThan(30);
    expect(ledger.counted - ackedAtLastRestart, "and served again after the last restart").toBeGreaterThan(30);
    expect(ledger.wire.networkErrors, "the clients saw the crashes").toBeGreaterThan(0);
    expect(ledger.wire.dropped, "answers were lost on the way back").toBeGreaterThan(0);
    const inFlightAtKills = kills.reduce((n, k) => n + k.inFlight, 0);
    const accounting = await expectNothingLost({
      databaseUrl: db.url,
      tenant,
      ledger,
      strandedBound: inFlightAtKills,
    });
    expectCleanServerErrors(ledger);
    // Each lost answer was retried with its key and answered by the stored response, not run again.
    expect(ledger.wire.replays).toBeGreaterThanOrEqual(ledger.wire.dropped);
    // The tamper-evident trail survived too: every event sealed, the chain verifies.
    const chain = auditVerify(db.url, tenant.slug);
    expect(chain).toMatchObject({ ok: true });
    expect(chain.pending ?? 0).toBe(0);
    expect(chain.events).toBeGreaterThan(ledger.writes.length);
    console.log(
      `[faults] crash: ${ledger.writes.length} writes and ${ledger.tasks.length} tasks acknowledged ` +
        `through ${KILLS} kills, ${ledger.wire.networkErrors} network errors, ${ledger.wire.dropped} answers dropped, ` +
        `${ledger.wire.replays} replays, ${inFlightAtKills} calls in flight at the kills; ` +
        `budget ${accounting.workspaceUsed} used for ${accounting.accepted} accepted (${accounting.stranded} stranded)`,
    );
  } finally {
    await stopApp(app);
    await db.drop();
  }
});
