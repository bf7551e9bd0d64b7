import { describe, expect, it } from "vitest";
import { GET as getPolicyRoute } from "@/app/api/v1/policy/route";
import { agentRequest, seedAgent } from "@/tests/agent-fixtures";
import { auditEvents, testActor } from "@/tests/fixtures";
import { getDb } from "../db";
import { revokeCredential } from "../credentials/revoke-credential";
import { setIdentityStatus } from "../identities/set-identity-status";
import { updateWorkspace } from "../workspaces/update-workspace";

/** The real route handler and wrapper against the real database (no HTTP server). */
async function call(key: string | null, headers: Record<string, string> = {}) {
  const response = await getPolicyRoute(agentRequest("/api/v1/policy", key, { headers }), {
    params: Promise.resolve({}),
  });
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- assertions walk the JSON freely
  return { response, body: (await response.json()) as Record<string, any> };
}

const unlimitedSpend = { limit: null, spent: 0, reserved: 0, remaining: null, resetAt: expect.any(String) };

describe("GET /api/v1/policy — happy", () => {
  it("describes the identity, its grants, mode, limits, retry policy and key", async () => {
    const agent = await seedAgent([
      { pattern: "billing.*", access: "readwrite" },
      { pattern: "shared.config", access: "read" },
    ]);
    const { response, body } = await call(agent.key, { "X-Correlation-Id": "run-42" });
    expect(response.status).toBe(200);
    expect(body).toEqual({
      identity: { id: agent.identity.id, name: "invoice-bot", workflowClass: "invoices" },
      workspace: { id: agent.workspace.id, slug: agent.workspace.slug },
      grants: [
        { namespace: "billing.*", access: "readwrite" },
        { namespace: "shared.config", access: "read" },
      ],
      mode: "normal",
      message: null,
      limits: {
        requests: { limit: null, used: 0, remaining: null, resetAt: expect.any(String) },
        writes: { limit: null, used: 0, remaining: null, resetAt: expect.any(String) },
        spend: {
          usd: { daily: unlimitedSpend, monthly: unlimitedSpend },
          tokens: { daily: unlimitedSpend },
          class: { usd: { daily: unlimitedSpend } },
          credential: { usd: { daily: unlimitedSpend } },
        },
      },
      retryPolicy: {
        maxAttempts: 3,
        initialIntervalMs: 1000,
        backoffCoefficient: 2,
        maxIntervalMs: 60000,
        nonRetryableErrors: ["validation"],
      },
      credential: { id: agent.credential.id, expiresAt: agent.credential.expiresAt.toISOString() },
      actions: { defaultEffect: "deny", rules: [] },
    });
    expect(response.headers.get("X-Correlation-Id")).toBe("run-42");
    expect(response.headers.get("X-Request-Id")).toMatch(/^req_/);
    expect(response.headers.get("X-Guardrail-Mode")).toBe("normal");
    expect(response.headers.get("RateLimit-Limit")).toBeNull(); // unlimited workspace
  });

  it("reports the request limit and sends RateLimit headers when the workspace has one", async () => {
    const agent = await seedAgent();
    await updateWorkspace({ slug: agent.workspace.slug, actor: testActor, settings: { dailyRequestLimit: 500 } });
    const { response, body } = await call(agent.key);
    expect(body.limits.requests).toMatchObject({ limit: 500, remaining: 500 });
    expect(response.headers.get("RateLimit-Limit")).toBe("500");
    expect(Number(response.headers.get("RateLimit-Reset"))).toBeGreaterThan(0);
  });

  it("is answered even when the kill switch is on, with the admin's message", async () => {
    const agent = await seedAgent();
    await updateWorkspace({
      slug: agent.workspace.slug,
      actor: testActor,
      settings: { killSwitch: true, stopMessage: "Paused for the audit" },
    });
    const { response, body } = await call(agent.key);
    expect(response.status).toBe(200);
    expect(body).toMatchObject({ mode: "stopped", message: "Paused for the audit" });
    expect(response.headers.get("X-Guardrail-Mode")).toBe("stopped");
  });

  it("records last use at most about once a minute", async () => {
    const agent = await seedAgent();
    await call(agent.key);
    await new Promise((r) => setTimeout(r, 200)); // the write is off the request path
    const first = await getDb().credential.findUniqueOrThrow({
      where: { id: agent.credential.id },
      select: { lastUsedAt: true },
    });
    expect(first.lastUsedAt).toBeInstanceOf(Date);
    await call(agent.key);
    await new Promise((r) => setTimeout(r, 200));
    const second = await getDb().credential.findUniqueOrThrow({
      where: { id: agent.credential.id },
      select: { lastUsedAt: true },
    });
    expect(second.lastUsedAt).toEqual(first.lastUsedAt);
  });
});

describe("GET /api/v1/policy — errors: every 401 in the envelope, audited, never echoing the key", () => {
  const expect401 = async (key: string | null, message: RegExp, headers: Record<string, string> = {}) => {
    const { response, body } = await call(key, headers);
    expect(response.status).toBe(401);
    expect(response.headers.get("Content-Type")).toBe("application/json");
    expect(body.error).toMatchObject({
      code: "unauthorized",
      message: expect.stringMatching(message),
      requestId: expect.stringMatching(/^req_/),
    });
    expect(response.headers.get("X-Request-Id")).toBe(body.error.requestId);
    if (key) expect(JSON.stringify(body)).not.toContain(key);
    return body.error.requestId as string;
  };

  it("missing, malformed and unknown keys", async () => {
    await expect401(null, /missing/);
    await expect401("not-a-key", /malformed/);
    await expect401(`bkv_${"A".repeat(43)}`, /unknown API key/);
    const { response } = await call(null, { Authorization: "Basic abc" });
    expect(response.status).toBe(401);
  });

  it("a revoked key fails on the very next request", async () => {
    const agent = await seedAgent();
    expect((await call(agent.key)).response.status).toBe(200);
    await revokeCredential({ actor: testActor, credentialId: agent.credential.id, reason: "leaked in a log" });
    const requestId = await expect401(agent.key, /revoked/);
    const [denial] = await auditEvents({ workspaceId: agent.workspace.id, action: "policy.read" });
    expect(denial).toMatchObject({ outcome: "denied", actorType: "identity", actorId: agent.identity.id, requestId });
    expect(JSON.stringify(denial)).not.toContain(agent.key);
  });

  it("an expired key", async () => {
    const agent = await seedAgent();
    await getDb().credential.update({
      where: { id: agent.credential.id },
      data: { expiresAt: new Date(Date.now() - 1000) },
    });
    await expect401(agent.key, /expired/);
  });

  it("a key of a disabled identity, until it is enabled again", async () => {
    const agent = await seedAgent();
    await setIdentityStatus({
      workspaceId: agent.workspace.id,
      actor: testActor,
      identityId: agent.identity.id,
      status: "disabled",
      reason: "misbehaving",
    });
    await expect401(agent.key, /identity disabled/);
    await setIdentityStatus({
      workspaceId: agent.workspace.id,
      actor: testActor,
      identityId: agent.identity.id,
      status: "active",
      reason: "fixed",
    });
    expect((await call(agent.key)).response.status).toBe(200);
  });

  it("rejects oversized or non-ASCII correlation ids with 400", async () => {
    const agent = await seedAgent();
    const { response, body } = await call(agent.key, { "X-Correlation-Id": "x".repeat(129) });
    expect(response.status).toBe(400);
    expect(body.error.code).toBe("invalid_request");
  });
});

describe("GET /api/v1/policy — security", () => {
  it("a key of workspace A sees nothing of workspace B", async () => {
    const a = await seedAgent([{ pattern: "*", access: "readwrite" }]);
    const b = await seedAgent([{ pattern: "secret.*", access: "read" }]);
    const { body } = await call(a.key);
    const text = JSON.stringify(body);
    expect(body.workspace.id).toBe(a.workspace.id);
    for (const foreign of [b.workspace.id, b.workspace.slug, b.identity.id, b.credential.id, "secret.*"])
      expect(text).not.toContain(foreign);
  });
});
