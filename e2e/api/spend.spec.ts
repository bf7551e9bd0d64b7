import { freePort } from "../../scripts/lib/ports";
import { startApp, stopApp, type App } from "../faults/harness";
import { admin, printedLogin, seedAgentWorkspace } from "../helpers";
import { expect, test } from "./fixtures";

/**
 * Spend budgets are exact across instances (issue #21): two app processes on one database share a
 * workspace's $50.00 daily budget, and 200 concurrent reservations of $0.37 split between them admit
 * exactly 135 ($49.95). The second process is the production server on the same build and database.
 */
test.describe("spend budgets across two app processes", () => {
  let second: App | null = null;
  test.afterAll(async () => stopApp(second));

  test("200 concurrent reservations of $0.37 under $50.00 from two processes: exactly 135 admitted, the rest 429", async ({
    request,
    baseURL,
  }) => {
    test.setTimeout(120_000);
    const login = printedLogin();
    second = await startApp({
      databaseUrl: login.databaseUrl,
      port: await freePort(),
      authSecret: login.authSecret,
      dataDir: login.dataDir,
    });

    const agent = await seedAgentWorkspace();
    await admin("workspace", "set", "--slug", agent.slug, "--daily-usd", "50", "--default-action-effect", "allow");
    const headers = { Authorization: `Bearer ${agent.key}`, "Content-Type": "application/json" };
    const body = JSON.stringify({ action: "llm.chat", estimate: { usd: 0.37 } });
    const bases = [baseURL!, second.url];
    const answers = await Promise.all(
      Array.from({ length: 200 }, async (_, i) => {
        const response = await fetch(`${bases[i % 2]}/api/v1/actions`, { method: "POST", headers, body });
        return { status: response.status, body: (await response.json()) as Record<string, any> }; // eslint-disable-line @typescript-eslint/no-explicit-any
      }),
    );
    const admitted = answers.filter((a) => a.status === 201);
    expect(admitted).toHaveLength(135);
    expect(answers.filter((a) => a.status === 429 && a.body.error.code === "spend_budget_exhausted")).toHaveLength(65);
    // Both processes admitted some: the budget is one, not one per process.
    for (const parity of [0, 1])
      expect(answers.filter((a, i) => a.status === 201 && i % 2 === parity).length).toBeGreaterThan(0);

    const policy = await (await request.get("/api/v1/policy", { headers })).json();
    expect(policy.limits.spend.usd.daily).toMatchObject({ limit: 50, spent: 0, reserved: 49.95, remaining: 0.05 });

    // Settling half at $0.10 (on either process) frees 67 × $0.27 = $18.09, reservable again to the cent.
    await Promise.all(
      admitted.slice(0, 67).map((a, i) =>
        fetch(`${bases[i % 2]}/api/v1/actions/${a.body.id}/complete`, {
          method: "POST",
          headers,
          body: JSON.stringify({ outcome: "succeeded", actual: { usd: 0.1 } }),
        }).then((r) => expect(r.status).toBe(200)),
      ),
    );
    const after = await (await request.get("/api/v1/policy", { headers })).json();
    expect(after.limits.spend.usd.daily).toMatchObject({ spent: 6.7, reserved: 25.16, remaining: 18.14 });
    const ask = (usd: number) =>
      request.post("/api/v1/actions", { headers, data: { action: "llm.chat", estimate: { usd } } });
    const refused = await ask(18.15);
    expect(refused.status()).toBe(429);
    expect((await refused.json()).error.details).toMatchObject({ budget: "workspace.daily_usd", remaining: 18.14 });
    expect(Number(refused.headers()["retry-after"])).toBeGreaterThan(0);
    expect((await ask(18.14)).status()).toBe(201);
  });
});
