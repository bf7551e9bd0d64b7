import { describe, expect, it, vi } from "vitest";

const TOKEN = vi.hoisted(() => {
  const token = "metrics-test-token-0123456789";
  process.env.METRICS_TOKEN = token; // before lib/env reads the environment
  return token;
});

import { GET as metricsRoute } from "@/app/api/metrics/route";
import { PUT as putKv } from "@/app/api/v1/kv/[namespace]/[key]/route";
import { agentRequest, deadLetterTask, seedAgent } from "@/tests/agent-fixtures";
import { metricsResponse, observeAgentRequest, recordJobSuccess, routeLabel } from "./metrics";

const scrape = (authorization?: string) =>
  metricsRoute(new Request("http://localhost/api/metrics", { headers: authorization ? { authorization } : {} }));

describe("GET /api/metrics", () => {
  it("refuses without the token (401), with a wrong one (401), and is off when no token is configured (404)", async () => {
    const missing = await scrape();
    expect(missing.status).toBe(401);
    expect(missing.headers.get("WWW-Authenticate")).toContain("Bearer");
    expect(await missing.text()).not.toContain("basekv_");
    expect((await scrape(`Bearer ${TOKEN}x`)).status).toBe(401);
    expect((await scrape(TOKEN)).status).toBe(401);
    const off = await metricsResponse(new Request("http://localhost/api/metrics"), { token: undefined });
    expect(off.status).toBe(404);
    const offWithToken = await metricsResponse(
      new Request("http://localhost/api/metrics", { headers: { authorization: `Bearer ${TOKEN}` } }),
      { token: undefined },
    );
    expect(offWithToken.status).toBe(404);
  });

  it("exposes agent requests, latency, budgets, modes, tasks, escalations and job lag", async () => {
    const agent = await seedAgent();
    const slug = agent.workspace.slug;
    for (const i of [1, 2]) {
      const response = await putKv(
        agentRequest(`/api/v1/kv/billing.runs/m-${i}`, agent.key, {
          method: "PUT",
          body: JSON.stringify({ value: i }),
        }),
        { params: Promise.resolve({}) },
      );
      expect(response.status).toBe(201); // the agent-route wrapper observes each request itself
    }
    observeAgentRequest({ route: "kv.put", method: "PUT", status: 429, durationMs: 3 });
    await deadLetterTask(agent);
    recordJobSuccess("ttl-sweeper", Date.now() - 4_000);

    const response = await scrape(`Bearer ${TOKEN}`);
    expect(response.status).toBe(200);
    expect(response.headers.get("Content-Type")).toContain("text/plain");
    const text = await response.text();
    const line = (prefix: string) => text.split("\n").find((l) => l.startsWith(prefix));

    expect(line('basekv_agent_requests_total{route="/api/v1/kv/{namespace}/{key}",method="PUT",status="201"}')).toMatch(
      / 2$/,
    );
    expect(line('basekv_agent_requests_total{route="kv.put",method="PUT",status="429"}')).toMatch(/ 1$/);
    expect(
      line('basekv_agent_request_duration_seconds_count{route="/api/v1/kv/{namespace}/{key}",method="PUT"}'),
    ).toMatch(/ 2$/);
    expect(text).toContain("# TYPE basekv_agent_request_duration_seconds histogram");
    expect(line(`basekv_workspace_requests_used{workspace="${slug}"}`)).toMatch(/ 2$/);
    expect(line(`basekv_workspace_mode{workspace="${slug}",mode="normal"}`)).toMatch(/ 1$/);
    expect(line(`basekv_workspace_mode{workspace="${slug}",mode="stopped"}`)).toMatch(/ 0$/);
    expect(line(`basekv_tasks{workspace="${slug}",status="dead_lettered"}`)).toMatch(/ 1$/);
    expect(line(`basekv_escalations_open{workspace="${slug}",status="open"}`)).toMatch(/ 1$/);
    expect(
      Number(line('basekv_job_seconds_since_last_success{job="ttl-sweeper"}')?.split(" ")[1]),
    ).toBeGreaterThanOrEqual(4);
    expect(line('basekv_job_last_success_timestamp_seconds{job="ttl-sweeper"}')).toBeTruthy();
    expect(text).toContain("process_cpu_user_seconds_total");
  });

  it("keeps route labels bounded: paths become their templates", () => {
    expect(routeLabel("/api/v1/kv/a.b/some-key")).toBe("/api/v1/kv/{namespace}/{key}");
    expect(routeLabel("/api/v1/kv/a.b?prefix=x")).toBe("/api/v1/kv/{namespace}");
    expect(routeLabel("/api/v1/tasks/task_1/events")).toBe("/api/v1/tasks/{id}/events");
    expect(routeLabel("/api/v1/whatever/else")).toBe("other");
    expect(routeLabel("task.event")).toBe("task.event");
  });
});
