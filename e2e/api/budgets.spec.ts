import { expect, test } from "./fixtures";
import { admin, seedAgentWorkspace } from "../helpers";

test("a daily limit holds exactly under concurrent requests to the running server", async ({ request }) => {
  const agent = await seedAgentWorkspace();
  await admin("workspace", "set", "--slug", agent.slug, "--daily-requests", "40", "--stop-message", "Daily budget spent.");
  const headers = { Authorization: `Bearer ${agent.key}` };
  const responses = await Promise.all(
    Array.from({ length: 120 }, (_, i) =>
      request.put(`/api/v1/kv/billing.runs/b-${i}`, { headers, data: { value: i } }),
    ),
  );
  const statuses = responses.map((r) => r.status());
  expect(statuses.filter((s) => s === 201)).toHaveLength(40);
  expect(statuses.filter((s) => s === 429)).toHaveLength(80);
  const refused = responses.find((r) => r.status() === 429)!;
  expect((await refused.json()).error).toMatchObject({ code: "budget_exhausted", message: "Daily budget spent." });
  expect(Number(refused.headers()["retry-after"])).toBeGreaterThan(0);
  const policy = await (await request.get("/api/v1/policy", { headers })).json();
  expect(policy).toMatchObject({
    mode: "stopped",
    message: "Daily budget spent.",
    limits: { requests: { limit: 40, used: 40, remaining: 0 } },
  });
});
