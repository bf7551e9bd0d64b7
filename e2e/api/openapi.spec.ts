import { Validator } from "@seriousme/openapi-schema-validator";
import { METRICS_TOKEN } from "../global-setup";
import { seedAgentWorkspace } from "../helpers";
import { expect, test } from "./fixtures";

test("GET /api/v1/openapi.json serves a valid OpenAPI 3.1 document of the agent API", async ({ request }) => {
  const response = await request.get("/api/v1/openapi.json");
  expect(response.status()).toBe(200);
  expect(response.headers()["content-type"]).toContain("application/json");
  const doc = await response.json();
  expect(doc.openapi).toBe("3.1.0");
  const result = await new Validator().validate(doc);
  expect(result.errors ?? []).toEqual([]);
  expect(Object.keys(doc.paths)).toEqual(
    expect.arrayContaining(["/api/v1/policy", "/api/v1/kv/{namespace}/{key}", "/api/v1/tasks/{id}/events"]),
  );
});

test.describe("GET /api/metrics", () => {
  test("refuses without the token", async ({ request }) => {
    expect((await request.get("/api/metrics")).status()).toBe(401);
    const wrong = await request.get("/api/metrics", { headers: { Authorization: "Bearer not-the-token" } });
    expect(wrong.status()).toBe(401);
    expect(await wrong.text()).not.toContain("basekv_");
  });

  test("with the token: Prometheus text with workspace, task and background-job series", async ({ request }) => {
    const agent = await seedAgentWorkspace();
    const headers = { Authorization: `Bearer ${agent.key}` };
    expect((await request.put("/api/v1/kv/billing.runs/metrics-1", { headers, data: { value: 1 } })).status()).toBe(
      201,
    );
    // The database gauges are cached for 5 s; a fresh workspace shows up on the next refresh.
    await expect
      .poll(
        async () => {
          const response = await request.get("/api/metrics", { headers: { Authorization: `Bearer ${METRICS_TOKEN}` } });
          expect(response.status()).toBe(200);
          expect(response.headers()["content-type"]).toContain("text/plain");
          return response.text();
        },
        { timeout: 15_000, intervals: [1_000] },
      )
      .toMatch(new RegExp(`basekv_workspace_requests_used\\{workspace="${agent.slug}"\\} 1\\b`));
    const text = await (
      await request.get("/api/metrics", { headers: { Authorization: `Bearer ${METRICS_TOKEN}` } })
    ).text();
    expect(text).toContain(`basekv_workspace_mode{workspace="${agent.slug}",mode="normal"} 1`);
    expect(text).toContain("# TYPE basekv_agent_requests_total counter");
    expect(text).toContain("# TYPE basekv_tasks gauge");
    // The jobs run in the server's instrumentation bundle; their runs reach the route's registry.
    expect(text).toMatch(/basekv_job_last_success_timestamp_seconds\{job="heartbeat-monitor"\} \d/);
  });
});
