import { expect, test } from "./fixtures";
import { seedAgentWorkspace } from "../helpers";

/** The concurrency claims of the state layer, against the running server with real parallel requests. */
test.describe("KV over HTTP", () => {
  let agent: Awaited<ReturnType<typeof seedAgentWorkspace>>;
  test.beforeAll(async () => {
    agent = await seedAgentWorkspace();
  });
  const headers = (extra: Record<string, string> = {}) => ({ Authorization: `Bearer ${agent.key}`, ...extra });

  test("50 parallel PUTs with the same If-Match: exactly one 200, 49 × 412, version + 1", async ({ request }) => {
    const url = "/api/v1/kv/billing.runs/contended";
    expect((await request.put(url, { headers: headers(), data: { value: 0 } })).status()).toBe(201);
    const responses = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        request.put(url, { headers: headers({ "If-Match": '"1"' }), data: { value: i } }),
      ),
    );
    const statuses = responses.map((r) => r.status());
    expect(statuses.filter((s) => s === 200)).toHaveLength(1);
    expect(statuses.filter((s) => s === 412)).toHaveLength(49);
    const conflict = await responses.find((r) => r.status() === 412)!.json();
    expect(conflict.error).toMatchObject({ code: "version_conflict", details: { currentVersion: 2 } });
    const final = await request.get(url, { headers: headers() });
    expect((await final.json()).version).toBe(2);
    expect(final.headers().etag).toBe('"2"');
  });

  test("50 parallel identical PUTs with one Idempotency-Key: written once, identical answers, replays marked", async ({
    request,
  }) => {
    const url = "/api/v1/kv/billing.runs/idempotent";
    await request.put(url, { headers: headers(), data: { value: "start" } });
    const responses = await Promise.all(
      Array.from({ length: 50 }, () =>
        request.put(url, { headers: headers({ "Idempotency-Key": "e2e-race-1" }), data: { value: { step: "done" } } }),
      ),
    );
    const bodies = await Promise.all(responses.map((r) => r.text()));
    expect(new Set(bodies).size).toBe(1);
    expect(new Set(responses.map((r) => r.status()))).toEqual(new Set([200]));
    expect(responses.filter((r) => r.headers()["idempotent-replayed"] === "true")).toHaveLength(49);
    expect((await (await request.get(url, { headers: headers() })).json()).version).toBe(2);

    const reused = await request.put(url, {
      headers: headers({ "Idempotency-Key": "e2e-race-1" }),
      data: { value: "different" },
    });
    expect(reused.status()).toBe(422);
    expect((await reused.json()).error.code).toBe("idempotency_key_reused");
  });

  test("keys with '/' travel as one percent-encoded segment; list, delete", async ({ request }) => {
    const url = `/api/v1/kv/billing.runs/${encodeURIComponent("checkpoint/task_1")}`;
    expect((await request.put(url, { headers: headers(), data: { value: { step: 2 } } })).status()).toBe(201);
    const read = await request.get(url, { headers: headers() });
    expect(await read.json()).toMatchObject({ key: "checkpoint/task_1", value: { step: 2 }, version: 1 });
    const listed = await request.get("/api/v1/kv/billing.runs?prefix=checkpoint%2F", { headers: headers() });
    expect((await listed.json()).items.map((i: { key: string }) => i.key)).toEqual(["checkpoint/task_1"]);
    const deleted = await request.delete(url, { headers: headers() });
    expect(await deleted.json()).toEqual({
      namespace: "billing.runs",
      key: "checkpoint/task_1",
      deleted: true,
      version: 1,
    });
    expect((await request.get(url, { headers: headers() })).status()).toBe(404);
  });

  test("bad input is refused with the documented codes", async ({ request }) => {
    const big = await request.put("/api/v1/kv/billing.runs/big", {
      headers: headers(),
      data: { value: "x".repeat(256 * 1024) },
    });
    expect(big.status()).toBe(413);
    const notJson = await request.put("/api/v1/kv/billing.runs/bad", {
      headers: headers({ "Content-Type": "application/json" }),
      data: Buffer.from("{oops"),
    });
    expect(notJson.status()).toBe(400);
    const longKey = await request.put(`/api/v1/kv/billing.runs/${"k".repeat(513)}`, {
      headers: headers(),
      data: { value: 1 },
    });
    expect(longKey.status()).toBe(400);
    const outside = await request.put("/api/v1/kv/hr.salaries/k", { headers: headers(), data: { value: 1 } });
    expect(outside.status()).toBe(403);
    expect((await outside.json()).error.code).toBe("forbidden_namespace");
  });
});
