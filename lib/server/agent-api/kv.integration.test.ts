import { describe, expect, it } from "vitest";
import { DELETE as deleteRoute, GET as getRoute, PUT as putRoute } from "@/app/api/v1/kv/[namespace]/[key]/route";
import { GET as listRoute } from "@/app/api/v1/kv/[namespace]/route";
import { agentRequest, seedAgent } from "@/tests/agent-fixtures";
import { auditEvents } from "@/tests/fixtures";
import { getDb } from "../db";
import { sweepExpired } from "../jobs/sweep-expired";
import { updateNamespace } from "../namespaces/update-namespace";
import { testActor } from "@/tests/fixtures";

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const noParams = { params: Promise.resolve({}) };

async function send(
  route: typeof putRoute,
  method: string,
  path: string,
  key: string,
  body?: unknown,
  headers: Record<string, string> = {},
) {
  const init: RequestInit & { headers: Record<string, string> } = { method, headers: { ...headers } };
  if (body !== undefined) {
    init.body = typeof body === "string" ? body : JSON.stringify(body);
    init.headers["Content-Type"] = "application/json";
  }
  const response = await route(agentRequest(path, key, init), noParams);
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: (text ? JSON.parse(text) : null) as Json, text };
}
const put = (k: string, path: string, body: unknown, headers?: Record<string, string>) =>
  send(putRoute, "PUT", path, k, body, headers);
const get = (k: string, path: string, headers?: Record<string, string>) =>
  send(getRoute, "GET", path, k, undefined, headers);
const del = (k: string, path: string, headers?: Record<string, string>) =>
  send(deleteRoute, "DELETE", path, k, undefined, headers);
const list = (k: string, path: string) => send(listRoute, "GET", path, k);

describe("KV — happy", () => {
  it("creates at version 1 (201), updates +1 (200), reads with ETag, deletes", async () => {
    const { key } = await seedAgent();
    const path = "/api/v1/kv/billing.runs/invoice-42";
    const created = await put(key, path, { value: { total: 10, lines: [1, 2] } });
    expect(created.status).toBe(201);
    expect(created.body).toEqual({ namespace: "billing.runs", key: "invoice-42", version: 1, expiresAt: null });
    expect(created.headers.get("ETag")).toBe('"1"');

    const updated = await put(key, path, { value: { total: 11 } }, { "If-Match": '"1"' });
    expect(updated.status).toBe(200);
    expect(updated.body.version).toBe(2);

    const read = await get(key, path);
    expect(read.status).toBe(200);
    expect(read.body).toMatchObject({
      namespace: "billing.runs",
      key: "invoice-42",
      value: { total: 11 },
      version: 2,
      expiresAt: null,
    });
    expect(read.headers.get("ETag")).toBe('"2"');

    const bare = await put(key, path, { value: "x" }, { "If-Match": "2" });
    expect(bare.body.version).toBe(3);

    const deleted = await del(key, path, { "If-Match": '"3"' });
    expect(deleted.body).toEqual({ namespace: "billing.runs", key: "invoice-42", deleted: true, version: 3 });
    expect((await get(key, path)).status).toBe(404);
  });

  it("keys may hold any UTF-8, including '/', percent-encoded as one segment", async () => {
    const { key } = await seedAgent();
    const name = "checkpoint/task_1 — été ✓";
    const path = `/api/v1/kv/billing.runs/${encodeURIComponent(name)}`;
    expect((await put(key, path, { value: 1 })).body.key).toBe(name);
    expect((await get(key, path)).body.key).toBe(name);
  });

  it("lists by prefix in key order with a cursor", async () => {
    const { key } = await seedAgent();
    for (const k of ["a/3", "a/1", "b/1", "a/2", "a/10"])
      await put(key, `/api/v1/kv/billing.runs/${encodeURIComponent(k)}`, { value: k });
    const first = await list(key, "/api/v1/kv/billing.runs?prefix=a%2F&limit=2");
    expect(first.body.items.map((i: Json) => i.key)).toEqual(["a/1", "a/10"]);
    expect(first.body.nextCursor).toBeTruthy();
    const second = await list(key, `/api/v1/kv/billing.runs?prefix=a%2F&limit=2&cursor=${first.body.nextCursor}`);
    expect(second.body.items.map((i: Json) => i.key)).toEqual(["a/2", "a/3"]);
    expect(second.body.nextCursor).toBeNull();
    expect(second.body.items[0]).toEqual({ key: "a/2", version: 1, expiresAt: null, updatedAt: expect.any(String) });
  });

  it("audits each write with versions and a hash of the value, never the value", async () => {
    const agent = await seedAgent();
    await put(
      agent.key,
      "/api/v1/kv/billing.runs/secret-ish",
      { value: { card: "4111-1111" } },
      { "X-Reason": "nightly%20run", "X-Correlation-Id": "corr-7" },
    );
    const [event] = await auditEvents({ workspaceId: agent.workspace.id, action: "kv.put" });
    expect(event).toMatchObject({
      actorType: "identity",
      actorId: agent.identity.id,
      namespace: "billing.runs",
      target: "secret-ish",
      reason: "nightly run",
      correlationId: "corr-7",
      details: { versionBefore: null, versionAfter: 1, valueSha256: expect.stringMatching(/^[0-9a-f]{64}$/) },
    });
    expect(JSON.stringify(event)).not.toContain("4111");
  });
});

describe("KV — preconditions", () => {
  it("If-None-Match: * creates only; If-Match on a stale version → 412 with the current version", async () => {
    const { key } = await seedAgent();
    const path = "/api/v1/kv/billing.runs/once";
    expect((await put(key, path, { value: 1 }, { "If-None-Match": "*" })).status).toBe(201);
    const again = await put(key, path, { value: 2 }, { "If-None-Match": "*" });
    expect(again.status).toBe(412);
    expect(again.body.error).toMatchObject({ code: "version_conflict", details: { currentVersion: 1 } });
    const stale = await put(key, path, { value: 3 }, { "If-Match": '"7"' });
    expect(stale.body.error.details.currentVersion).toBe(1);
    const absent = await put(key, "/api/v1/kv/billing.runs/never", { value: 3 }, { "If-Match": '"1"' });
    expect(absent.status).toBe(412);
    expect(absent.body.error.details.currentVersion).toBeNull();
    expect((await get(key, path)).body.value).toBe(1);
  });

  it("50 concurrent PUTs with the same If-Match: exactly one wins", async () => {
    const { key } = await seedAgent();
    const path = "/api/v1/kv/billing.runs/contended";
    await put(key, path, { value: 0 });
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) => put(key, path, { value: i }, { "If-Match": '"1"' })),
    );
    expect(results.filter((r) => r.status === 200)).toHaveLength(1);
    expect(results.filter((r) => r.status === 412)).toHaveLength(49);
    expect((await get(key, path)).body.version).toBe(2);
  });

  it("rejects malformed preconditions with 400", async () => {
    const { key } = await seedAgent();
    const bad: Record<string, string>[] = [
      { "If-Match": "abc" },
      { "If-Match": '"0"' },
      { "If-None-Match": '"3"' },
      { "If-Match": "1", "If-None-Match": "*" },
    ];
    for (const headers of bad) {
      expect((await put(key, "/api/v1/kv/billing.runs/x", { value: 1 }, headers)).status).toBe(400);
    }
  });
});

describe("KV — idempotency", () => {
  it("replays the first response for the same key and request, marked, without writing again", async () => {
    const { key } = await seedAgent();
    const path = "/api/v1/kv/billing.runs/idem";
    const first = await put(key, path, { value: { n: 1 } }, { "Idempotency-Key": "op-1" });
    const replay = await put(key, path, { value: { n: 1 } }, { "Idempotency-Key": "op-1" });
    expect(first.status).toBe(201);
    expect(replay.status).toBe(201);
    expect(replay.text).toBe(first.text);
    expect(replay.headers.get("Idempotent-Replayed")).toBe("true");
    expect(first.headers.get("Idempotent-Replayed")).toBeNull();
    expect(replay.headers.get("X-Request-Id")).toBe(first.headers.get("X-Request-Id"));
    expect((await get(key, path)).body.version).toBe(1);
  });

  it("compares JSON bodies by meaning, and refuses the same key with a different request (422)", async () => {
    const { key } = await seedAgent();
    const path = "/api/v1/kv/billing.runs/idem2";
    await put(key, path, '{"value":{"a":1,"b":2}}', { "Idempotency-Key": "op-2" });
    const reordered = await put(key, path, '{ "value": { "b": 2, "a": 1 } }', { "Idempotency-Key": "op-2" });
    expect(reordered.headers.get("Idempotent-Replayed")).toBe("true");
    const different = await put(key, path, { value: { a: 2 } }, { "Idempotency-Key": "op-2" });
    expect(different.status).toBe(422);
    expect(different.body.error.code).toBe("idempotency_key_reused");
    const otherPath = await put(
      key,
      "/api/v1/kv/billing.runs/elsewhere",
      { value: { a: 1, b: 2 } },
      { "Idempotency-Key": "op-2" },
    );
    expect(otherPath.status).toBe(422);
    expect((await get(key, path)).body.version).toBe(1);
  });

  it("stores and replays an executed refusal (412), but not a refusal before execution", async () => {
    const { key } = await seedAgent();
    const path = "/api/v1/kv/billing.runs/idem3";
    await put(key, path, { value: 1 });
    const conflict = await put(key, path, { value: 2 }, { "Idempotency-Key": "op-3", "If-Match": '"9"' });
    expect(conflict.status).toBe(412);
    const replay = await put(key, path, { value: 2 }, { "Idempotency-Key": "op-3", "If-Match": '"9"' });
    expect(replay.status).toBe(412);
    expect(replay.headers.get("Idempotent-Replayed")).toBe("true");
    expect(replay.text).toBe(conflict.text);
  });

  it("50 concurrent identical PUTs with one Idempotency-Key write once and answer identically", async () => {
    const { key } = await seedAgent();
    const path = "/api/v1/kv/billing.runs/idem-race";
    await put(key, path, { value: 0 });
    const results = await Promise.all(
      Array.from({ length: 50 }, () =>
        put(key, path, { value: { done: true } }, { "Idempotency-Key": "race-1", "If-Match": '"1"' }),
      ),
    );
    expect(new Set(results.map((r) => `${r.status} ${r.text}`)).size).toBe(1);
    expect(results[0]!.status).toBe(200);
    expect(results.filter((r) => r.headers.get("Idempotent-Replayed") === "true")).toHaveLength(49);
    expect((await get(key, path)).body.version).toBe(2);
  });

  it("after the record expires, the key starts a new request", async () => {
    const agent = await seedAgent();
    const path = "/api/v1/kv/billing.runs/idem4";
    await put(agent.key, path, { value: 1 }, { "Idempotency-Key": "op-4" });
    // Let 24 hours pass for this record.
    await getDb().idempotencyRecord.updateMany({
      where: { identityId: agent.identity.id, key: "op-4" },
      data: { expiresAt: new Date(Date.now() - 1000) },
    });
    const fresh = await put(agent.key, path, { value: 2 }, { "Idempotency-Key": "op-4" });
    expect(fresh.status).toBe(200);
    expect(fresh.headers.get("Idempotent-Replayed")).toBeNull();
    expect(fresh.body.version).toBe(2);
  });

  it("scopes keys per identity: another identity's identical key is independent", async () => {
    const a = await seedAgent();
    const b = await seedAgent();
    const first = await put(a.key, "/api/v1/kv/billing.runs/k", { value: 1 }, { "Idempotency-Key": "shared" });
    const second = await put(b.key, "/api/v1/kv/billing.runs/k", { value: 1 }, { "Idempotency-Key": "shared" });
    expect(first.headers.get("Idempotent-Replayed")).toBeNull();
    expect(second.headers.get("Idempotent-Replayed")).toBeNull();
  });
});

describe("KV — TTL policy", () => {
  it("applies the namespace default, enforces its maximum, hides expired entries at once, and the sweeper purges them", async () => {
    const agent = await seedAgent();
    const ns = await getDb().namespace.findFirstOrThrow({
      where: { workspaceId: agent.workspace.id, name: "billing.runs" },
    });
    await updateNamespace({
      workspaceId: agent.workspace.id,
      actor: testActor,
      namespaceId: ns.id,
      defaultTtlSeconds: 60,
      maxTtlSeconds: 120,
    });

    const withDefault = await put(agent.key, "/api/v1/kv/billing.runs/tmp", { value: 1 });
    const expiresIn = new Date(withDefault.body.expiresAt).getTime() - Date.now();
    expect(expiresIn).toBeGreaterThan(55_000);
    expect(expiresIn).toBeLessThanOrEqual(60_000);

    const tooLong = await put(agent.key, "/api/v1/kv/billing.runs/tmp2", { value: 1, ttlSeconds: 121 });
    expect(tooLong.status).toBe(422);
    expect(tooLong.body.error).toMatchObject({ code: "ttl_exceeds_policy", details: { maxTtlSeconds: 120 } });
    expect((await put(agent.key, "/api/v1/kv/billing.runs/tmp3", { value: 1, ttlSeconds: 120 })).status).toBe(201);

    await put(agent.key, "/api/v1/kv/billing.runs/short", { value: "bye", ttlSeconds: 1 });
    await getDb().kvEntry.updateMany({
      where: { namespaceId: ns.id, key: "short" },
      data: { expiresAt: new Date(Date.now() - 1) },
    });
    expect((await get(agent.key, "/api/v1/kv/billing.runs/short")).status).toBe(404);
    expect((await list(agent.key, "/api/v1/kv/billing.runs")).body.items.map((i: Json) => i.key)).not.toContain(
      "short",
    );
    expect(await getDb().kvEntry.count({ where: { namespaceId: ns.id, key: "short" } })).toBe(1); // still there until swept

    // Writing an expired key starts over at version 1.
    await put(agent.key, "/api/v1/kv/billing.runs/short", { value: "again" }, { "If-None-Match": "*" });
    expect((await get(agent.key, "/api/v1/kv/billing.runs/short")).body.version).toBe(1);
    await getDb().kvEntry.updateMany({
      where: { namespaceId: ns.id, key: "short" },
      data: { expiresAt: new Date(Date.now() - 1) },
    });

    const swept = await sweepExpired();
    expect(swept.ran).toBe(true);
    expect(swept.kvEntries).toBeGreaterThanOrEqual(1);
    expect(await getDb().kvEntry.count({ where: { namespaceId: ns.id, key: "short" } })).toBe(0);
    expect(await auditEvents({ workspaceId: agent.workspace.id, action: "kv.expired_purged" })).toMatchObject([
      { actorType: "system", namespace: "billing.runs" },
    ]);
  });
});

describe("KV — bad input writes nothing", () => {
  it.each([
    ["value of 256 KiB + 1", () => ({ value: "x".repeat(256 * 1024 - 1) }), 413, "payload_too_large"],
    ["non-JSON body", () => "{not json", 400, "invalid_request"],
    ["body without value", () => ({ val: 1 }), 422, "validation_failed"],
    ["negative TTL", () => ({ value: 1, ttlSeconds: -1 }), 422, "validation_failed"],
    ["NUL in a string", () => ({ value: "a\u0000b" }), 422, "validation_failed"],
    ["nesting too deep", () => `{"value":${"[".repeat(150)}${"]".repeat(150)}}`, 422, "validation_failed"],
  ])("%s → %i", async (_label, body, status, code) => {
    const agent = await seedAgent();
    const response = await put(agent.key, "/api/v1/kv/billing.runs/bad", body());
    expect(response.status).toBe(status);
    expect(response.body.error.code).toBe(code);
    expect(await getDb().kvEntry.count({ where: { workspaceId: agent.workspace.id } })).toBe(0);
  });

  it("a value of exactly 256 KiB is accepted", async () => {
    const agent = await seedAgent();
    // JSON.stringify adds two quotes.
    expect((await put(agent.key, "/api/v1/kv/billing.runs/big", { value: "x".repeat(256 * 1024 - 2) })).status).toBe(
      201,
    );
  });

  it.each([
    ["key over 512 bytes", `/api/v1/kv/billing.runs/${"k".repeat(513)}`],
    ["invalid namespace name", "/api/v1/kv/Billing.Runs/k"],
    ["bad percent-encoding", "/api/v1/kv/billing.runs/%E0%A4%A"],
    ["NUL in the key", "/api/v1/kv/billing.runs/a%00b"],
    ["key split over two segments", "/api/v1/kv/billing.runs/a/b"],
  ])("%s → 400", async (_label, path) => {
    const agent = await seedAgent();
    const response = await put(agent.key, path, { value: 1 });
    expect(response.status).toBe(400);
    expect(response.body.error.code).toBe("invalid_request");
    expect(await getDb().kvEntry.count({ where: { workspaceId: agent.workspace.id } })).toBe(0);
  });
});

describe("KV — security", () => {
  it("a namespace outside the grant → 403 (audited), before revealing whether it exists", async () => {
    const agent = await seedAgent([{ pattern: "billing.*", access: "read" }], {
      namespaces: ["billing.runs", "hr.salaries"],
    });
    const write = await put(agent.key, "/api/v1/kv/billing.runs/k", { value: 1 });
    expect(write.status).toBe(403);
    expect(write.body.error.code).toBe("forbidden_namespace");
    const existing = await get(agent.key, "/api/v1/kv/hr.salaries/k");
    const missing = await get(agent.key, "/api/v1/kv/hr.nothing/k");
    expect(existing.status).toBe(403);
    expect(missing.status).toBe(403);
    expect(existing.body.error.message.replace("hr.salaries", "X")).toBe(
      missing.body.error.message.replace("hr.nothing", "X"),
    );
    const denials = await auditEvents({ workspaceId: agent.workspace.id, action: "kv.put" });
    expect(denials).toMatchObject([{ outcome: "denied", namespace: "billing.runs" }]);
  });

  it("a granted namespace that does not exist → 404; agents never create namespaces", async () => {
    const agent = await seedAgent([{ pattern: "*", access: "readwrite" }]);
    const response = await put(agent.key, "/api/v1/kv/nowhere.at.all/k", { value: 1 });
    expect(response.status).toBe(404);
    expect(await getDb().namespace.count({ where: { workspaceId: agent.workspace.id, name: "nowhere.at.all" } })).toBe(
      0,
    );
  });

  it("workspace A's key cannot read workspace B's entry in a namespace of the same name", async () => {
    const a = await seedAgent();
    const b = await seedAgent();
    await put(b.key, "/api/v1/kv/billing.runs/private", { value: "b's secret" });
    const response = await get(a.key, "/api/v1/kv/billing.runs/private");
    expect(response.status).toBe(404);
    expect(response.text).not.toContain("secret");
  });
});
