import { request as httpRequest } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Grant } from "@/lib/core/grants";
import { hashKey } from "@/lib/core/keys";
import { UNAUTHENTICATED_AUDITS_PER_MINUTE } from "@/lib/core/refusal-audit";
import { seedAgent } from "@/tests/agent-fixtures";
import { testActor } from "@/tests/fixtures";
import { startApiServer } from "@/tests/sdk-server";
import { issueCredential } from "../credentials/issue-credential";
import { revokeCredential } from "../credentials/revoke-credential";
import { getDb } from "../db";
import { createIdentity } from "../identities/create-identity";
import { renderMetrics } from "../metrics";
import { knownPrincipal } from "./route/known-keys";

/**
 * Attacks of the security review (issue #17) on the agent API, over real HTTP against the agent lane
 * (what scripts/server.mjs serves /api/v1 with).
 */

type Answer = { status: number; headers: Record<string, string | string[] | undefined>; body: string };

let server: Awaited<ReturnType<typeof startApiServer>>;
beforeAll(async () => {
  server = await startApiServer();
});
afterAll(() => server.close());

/** One request on its own connection. `withhold`: declare a body of that many bytes and never send it. */
function call(
  method: string,
  target: string,
  key: string | null,
  init: { body?: string; headers?: Record<string, string>; withhold?: number } = {},
) {
  return new Promise<Answer>((resolve, reject) => {
    const headers: Record<string, string> = {
      ...(key ? { authorization: `Bearer ${key}` } : {}),
      ...(init.body !== undefined || init.withhold ? { "content-type": "application/json" } : {}),
      ...(init.withhold ? { "content-length": String(init.withhold) } : {}),
      ...init.headers,
    };
    const req = httpRequest(new URL(target, server.url), { method, headers, agent: false }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => (text += c));
      res.on("end", () => resolve({ status: res.statusCode!, headers: res.headers, body: text }));
    });
    req.on("error", reject);
    if (init.withhold) {
      req.write("{"); // a first byte, then nothing: only a server that does not wait for the body answers
      req.flushHeaders();
      return;
    }
    req.end(init.body);
  });
}

/** The answer, or a clear failure instead of the test's own timeout when the server waits for the body. */
async function answeredWithoutBody(pending: Promise<Answer>): Promise<Answer> {
  let timer: NodeJS.Timeout | undefined;
  const waited = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error("the server waited for the body of an unauthenticated call")), 10_000);
  });
  try {
    return await Promise.race([pending, waited]);
  } finally {
    clearTimeout(timer);
  }
}

const FAKE_KEY = `bkv_${"A".repeat(43)}`;

/** A key of another identity of seedAgent's class, with its own grants. */
async function classmateKey(workspaceId: string, name: string, grants: Grant[]): Promise<string> {
  const identity = await createIdentity({ workspaceId, actor: testActor, name, workflowClass: "invoices", grants });
  return (await issueCredential({ workspaceId, actor: testActor, identityId: identity.id, expiresInSeconds: 600 })).key;
}

describe("#17.1 listing tasks obeys the namespace grants", () => {
  it("GET /tasks returns only tasks in namespaces the key may read, filtered in SQL so pages stay full", async () => {
    const agent = await seedAgent([{ pattern: "billing.*", access: "readwrite" }], {
      namespaces: ["billing.runs", "other.y"],
    });
    // Another identity of the same class (tasks are visible class-wide) works in other.y.
    const otherKey = await classmateKey(agent.workspace.id, "other-bot", [{ pattern: "other.*", access: "readwrite" }]);
    const mine: string[] = [];
    for (let i = 0; i < 3; i++) {
      const a = await call("POST", "/api/v1/tasks", agent.key, { body: JSON.stringify({ namespace: "billing.runs" }) });
      expect(a.status).toBe(201);
      mine.push(JSON.parse(a.body).id);
      const b = await call("POST", "/api/v1/tasks", otherKey, {
        body: JSON.stringify({ namespace: "other.y", input: { apiToken: "secret-of-other-y" } }),
      });
      expect(b.status).toBe(201);
    }
    const secretTask = (
      await getDb().task.findFirstOrThrow({
        where: { workspaceId: agent.workspace.id, namespace: { name: "other.y" } },
      })
    ).id;
    expect((await call("GET", `/api/v1/tasks/${secretTask}`, agent.key)).status).toBe(403);

    // Page by page with limit 2: full pages of readable tasks only, nothing of other.y anywhere.
    const seen: string[] = [];
    let cursor: string | null = null;
    const pages: number[] = [];
    do {
      const page = await call("GET", `/api/v1/tasks?limit=2${cursor ? `&cursor=${cursor}` : ""}`, agent.key);
      expect(page.status).toBe(200);
      expect(page.body).not.toContain("secret-of-other-y");
      const body = JSON.parse(page.body) as { items: { id: string; namespace: string }[]; nextCursor: string | null };
      expect(body.items.every((t) => t.namespace === "billing.runs")).toBe(true);
      seen.push(...body.items.map((t) => t.id));
      pages.push(body.items.length);
      cursor = body.nextCursor;
    } while (cursor);
    expect(seen.sort()).toEqual([...mine].sort());
    expect(pages).toEqual([2, 1]);

    // A key with no read grant at all lists nothing (a write-only grant does not read).
    const writerKey = await classmateKey(agent.workspace.id, "write-only-bot", [{ pattern: "*", access: "write" }]);
    const none = await call("GET", "/api/v1/tasks", writerKey);
    expect(JSON.parse(none.body)).toEqual({ items: [], nextCursor: null });
  });
});

describe("#17.2 an unknown, revoked or expired key is refused before its body is read", () => {
  it("answers a PUT under a forged key with 401 while its 1 MB body is still unsent", async () => {
    const answer = await answeredWithoutBody(
      call("PUT", "/api/v1/kv/billing.runs/k1", FAKE_KEY, { withhold: 1_000_000 }),
    );
    expect(answer.status).toBe(401);
    expect(answer.headers.connection).toBe("close"); // the unread body is never parsed: the connection ends
    expect(JSON.parse(answer.body).error.code).toBe("unauthorized");
  });

  it("the same for POST /tasks and task events (the general path)", async () => {
    for (const target of ["/api/v1/tasks", "/api/v1/tasks/task_0123456789abcdef/events"]) {
      const answer = await answeredWithoutBody(call("POST", target, FAKE_KEY, { withhold: 500_000 }));
      expect(answer.status).toBe(401);
    }
  });

  it("a valid key's writes take the one-statement path; once revoked, its next body is not read", async () => {
    const agent = await seedAgent();
    const put = (n: number) =>
      call("PUT", `/api/v1/kv/billing.runs/v${n}`, agent.key, { body: JSON.stringify({ value: n }) });
    expect((await put(1)).status).toBe(201);
    expect(knownPrincipal(hashKey(agent.key))).toBeDefined();
    expect((await put(2)).status).toBe(201);
    await revokeCredential({
      workspaceId: agent.workspace.id,
      actor: testActor,
      credentialId: agent.credential.id,
      reason: "test",
    });
    // The first call after the revocation may still carry its body to the statement, which refuses it ...
    expect((await put(3)).status).toBe(401);
    expect(knownPrincipal(hashKey(agent.key))).toBeUndefined();
    // ... every later one is refused before its body.
    const answer = await answeredWithoutBody(
      call("PUT", "/api/v1/kv/billing.runs/v4", agent.key, { withhold: 1_000_000 }),
    );
    expect(answer.status).toBe(401);
  });
});

describe("#17.10 what an unauthenticated refusal stores is bounded", () => {
  it("cuts a 14 KB target to 256 characters with a marker, and audits at most N refusals per address per minute", async () => {
    const marker = `bounded-${Date.now()}`;
    const metric = async () =>
      Number(/^basekv_agent_refusals_unaudited_total (\d+)/m.exec((await renderMetrics()).body)?.[1] ?? 0);
    const before = await metric();
    const total = UNAUTHENTICATED_AUDITS_PER_MINUTE + 10;
    for (let i = 0; i < total; i++) {
      const answer = await call("GET", `/api/v1/kv/billing.runs/${marker}-${i}-${"x".repeat(14_000)}`, FAKE_KEY);
      expect(answer.status).toBe(401);
    }
    const stored = await getDb().auditEvent.findMany({
      where: { workspaceId: null, target: { startsWith: `/api/v1/kv/billing.runs/${marker}-` } },
      select: { target: true },
    });
    // Other refusals of this file came from the same address in this minute: at most N in all.
    expect(stored.length).toBeGreaterThan(0);
    expect(stored.length).toBeLessThanOrEqual(UNAUTHENTICATED_AUDITS_PER_MINUTE);
    for (const { target } of stored) {
      expect(target!.length).toBeLessThanOrEqual(256);
      expect(target).toMatch(/…\[truncated \d+ chars\]$/);
    }
    expect((await metric()) - before).toBe(total - stored.length);
  });
});
