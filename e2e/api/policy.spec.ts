import { expect, test } from "./fixtures";
import { admin, seedAgentWorkspace } from "../helpers";

const auth = (key: string) => ({ Authorization: `Bearer ${key}` });

test.describe("GET /api/v1/policy over HTTP", () => {
  test("happy: a valid key reads its policy with the standard headers", async ({ request }) => {
    const agent = await seedAgentWorkspace({
      grants: ["billing.*:readwrite", "shared.config:read"],
      keyArgs: ["--expires-in", "1h", "--daily-writes", "50"],
    });
    const response = await request.get("/api/v1/policy", {
      headers: { ...auth(agent.key), "X-Correlation-Id": "e2e-run-1" },
    });
    expect(response.status()).toBe(200);
    const body = await response.json();
    expect(body).toMatchObject({
      identity: { name: "invoice-bot", workflowClass: "invoices" },
      workspace: { slug: agent.slug },
      grants: [
        { namespace: "billing.*", access: "readwrite" },
        { namespace: "shared.config", access: "read" },
      ],
      mode: "normal",
      limits: { requests: { limit: 1000 }, writes: { limit: 50 } },
      credential: { id: agent.credentialId },
    });
    const headers = response.headers();
    expect(headers["x-correlation-id"]).toBe("e2e-run-1");
    expect(headers["x-request-id"]).toMatch(/^req_/);
    expect(headers["x-guardrail-mode"]).toBe("normal");
    expect(headers["ratelimit-limit"]).toBe("1000");
  });

  test("error: missing, malformed and unknown keys get 401 in the envelope", async ({ request }) => {
    const attempts: Record<string, string>[] = [
      {},
      { Authorization: "Bearer nope" },
      { Authorization: `Bearer bkv_${"z".repeat(43)}` },
    ];
    for (const headers of attempts) {
      const response = await request.get("/api/v1/policy", { headers });
      expect(response.status()).toBe(401);
      expect(response.headers()["content-type"]).toContain("application/json");
      const body = await response.json();
      expect(body.error).toMatchObject({ code: "unauthorized", requestId: expect.stringMatching(/^req_/) });
    }
  });

  test("security: revoking a key makes the very next call fail", async ({ request }) => {
    const agent = await seedAgentWorkspace();
    expect((await request.get("/api/v1/policy", { headers: auth(agent.key) })).status()).toBe(200);
    await admin("key", "revoke", "--id", agent.credentialId, "--reason", "e2e revocation");
    const response = await request.get("/api/v1/policy", { headers: auth(agent.key) });
    expect(response.status()).toBe(401);
    expect((await response.json()).error.message).toBe("credential revoked");
  });

  test("security: a 1-second key expires; a disabled identity's key is refused", async ({ request }) => {
    const short = await seedAgentWorkspace({ keyArgs: ["--expires-in", "1s"] });
    await new Promise((r) => setTimeout(r, 1200));
    const expired = await request.get("/api/v1/policy", { headers: auth(short.key) });
    expect(expired.status()).toBe(401);
    expect((await expired.json()).error.message).toBe("credential expired");

    const agent = await seedAgentWorkspace();
    await admin("identity", "disable", "--workspace", agent.slug, "--name", "invoice-bot", "--reason", "e2e");
    const disabled = await request.get("/api/v1/policy", { headers: auth(agent.key) });
    expect(disabled.status()).toBe(401);
    expect((await disabled.json()).error.message).toBe("identity disabled");
  });

  test("security: a rotated key works during the overlap and fails after it", async ({ request }) => {
    const agent = await seedAgentWorkspace();
    const rotated = await admin("key", "rotate", "--id", agent.credentialId, "--overlap", "2s") as { key: string };
    expect((await request.get("/api/v1/policy", { headers: auth(agent.key) })).status()).toBe(200);
    expect((await request.get("/api/v1/policy", { headers: auth(rotated.key) })).status()).toBe(200);
    await new Promise((r) => setTimeout(r, 2200));
    expect((await request.get("/api/v1/policy", { headers: auth(agent.key) })).status()).toBe(401);
    expect((await request.get("/api/v1/policy", { headers: auth(rotated.key) })).status()).toBe(200);
  });

  test("security: a key of workspace A sees nothing of workspace B", async ({ request }) => {
    const a = await seedAgentWorkspace({ grants: ["*:readwrite"] });
    const b = await seedAgentWorkspace({ grants: ["secret.*:read"] });
    const text = await (await request.get("/api/v1/policy", { headers: auth(a.key) })).text();
    expect(text).toContain(a.slug);
    expect(text).not.toContain(b.slug);
    expect(text).not.toContain(b.credentialId);
    expect(text).not.toContain("secret.*");
  });

  test("unknown agent API paths answer 404 in the envelope", async ({ request }) => {
    const response = await request.get("/api/v1/no-such-thing");
    expect(response.status()).toBe(404);
    expect((await response.json()).error.code).toBe("not_found");
  });
});
