import { request as httpRequest } from "node:http";
import { gunzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { securityHeaders } from "@/lib/security-headers";
import { seedAgent } from "@/tests/agent-fixtures";
import { startApiServer } from "@/tests/sdk-server";
import { agentRouteMethods, compileRoutes, matchAgentRoute } from "./agent-server";
import { AGENT_ENDPOINTS } from "./endpoints";

/**
 * The agent API's own lane (what scripts/server.mjs serves /api/v1 with): the
 * endpoint table's endpoints (the same objects the Next.js route files export,
 * endpoints.integration.test.ts), over Node's request and response.
 */

const METHODS = ["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"] as const;
// A sample raw segment for each path parameter, and what the handler receives when it asks for it decoded.
const SAMPLE: Record<string, [raw: string, decoded: string]> = {
  namespace: ["billing.runs", "billing.runs"],
  key: ["k%2F1", "k/1"],
  id: ["task%5Fx", "task_x"],
};

describe("the agent lane's route table", () => {
  it("serves exactly the endpoint table, method by method, with the path parameters each row asks for", () => {
    const paths = [...new Set(AGENT_ENDPOINTS.map((row) => row.path))];
    let checked = 0;
    for (const template of paths) {
      const urlPath = template.replace(/\{([^}]+)\}/g, (_, name: string) => SAMPLE[name]![0]);
      for (const method of METHODS) {
        const row = AGENT_ENDPOINTS.find((r) => r.path === template && r.method === method);
        const match = matchAgentRoute(method, `${urlPath}?limit=5`);
        if (row) {
          expect(match?.endpoint, `${method} ${urlPath}`).toBe(row.endpoint);
          const params = Object.fromEntries((row.params ?? []).map((name) => [name, SAMPLE[name]![1]]));
          expect(match?.params, `${method} ${urlPath}`).toEqual(params);
          checked++;
        } else {
          expect(match, `${method} ${urlPath} is not served`).toBeNull();
        }
      }
      expect(agentRouteMethods(urlPath)?.sort(), urlPath).toEqual(
        AGENT_ENDPOINTS.filter((r) => r.path === template)
          .map((r) => r.method)
          .sort(),
      );
    }
    expect(checked).toBe(AGENT_ENDPOINTS.length);
  });

  it("keeps the raw segments the KV handlers read: a key with an encoded slash or a malformed escape", () => {
    const put = AGENT_ENDPOINTS.find((r) => r.operationId === "putKv")!;
    expect(matchAgentRoute("PUT", "/api/v1/kv/billing.runs/a%2Fb")).toEqual({ endpoint: put.endpoint, params: {} });
    // Served here: the handler answers the malformed key itself (400 invalid_request).
    expect(matchAgentRoute("PUT", "/api/v1/kv/billing.runs/%E0%A4%A")?.endpoint).toBe(put.endpoint);
    expect(matchAgentRoute("GET", "/api/v1/kv/billing.runs/a/b/c")).toBeNull();
    expect(matchAgentRoute("GET", "/api/v1/kv/")).toBeNull();
  });

  it("tries a static segment before a dynamic one, as Next.js does, whatever the table's order", () => {
    const row = (path: `/api/v1/${string}`, operationId: string) =>
      ({ ...AGENT_ENDPOINTS[0]!, path, operationId, endpoint: Object.assign(() => {}, { operationId }) }) as never;
    const rows = [row("/api/v1/kv/{namespace}", "dynamic"), row("/api/v1/kv/search", "static")];
    for (const order of [rows, [...rows].reverse()]) {
      const first = compileRoutes(order).find((r) => r.pattern.test("/api/v1/kv/search"))!;
      expect((first.methods.GET!.endpoint as unknown as { operationId: string }).operationId).toBe("static");
    }
  });

  it("decodes a task id, and leaves what it does not serve to Next.js", () => {
    expect(matchAgentRoute("GET", "/api/v1/tasks/task%5Fa")?.params).toEqual({ id: "task_a" });
    expect(matchAgentRoute("GET", "/api/v1/tasks/%E0%A4%A")).toBeNull(); // malformed escape
    expect(matchAgentRoute("GET", "/api/v1/policy/")).toBeNull(); // Next.js redirects a trailing slash
    expect(matchAgentRoute("GET", "/api/v1/openapi.json")).toBeNull();
    expect(matchAgentRoute("GET", "/api/v1/no-such-endpoint")).toBeNull();
    expect(matchAgentRoute("HEAD", "/api/v1/policy")).toBeNull();
    expect(matchAgentRoute("GET", "/api/health")).toBeNull();
  });
});

type Answer = { status: number; headers: Record<string, string | string[] | undefined>; body: Buffer };

describe("the agent lane over HTTP", () => {
  let server: Awaited<ReturnType<typeof startApiServer>>;
  let agent: Awaited<ReturnType<typeof seedAgent>>;
  beforeAll(async () => {
    server = await startApiServer();
    agent = await seedAgent();
  });
  afterAll(() => server.close());

  /** One request on a fresh connection; `body` as an array is sent chunked, piece by piece. */
  function call(
    method: string,
    target: string,
    init: { headers?: Record<string, string>; body?: Buffer | string | Buffer[]; anonymous?: boolean } = {},
  ) {
    return new Promise<Answer>((resolve, reject) => {
      const auth = init.anonymous ? {} : { authorization: `Bearer ${agent.key}` };
      const req = httpRequest(new URL(target, server.url), { method, headers: { ...auth, ...init.headers } }, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
      });
      req.on("error", reject);
      if (Array.isArray(init.body)) {
        for (const piece of init.body) req.write(piece);
        req.end();
      } else req.end(init.body);
    });
  }
  const json = (a: Answer) => JSON.parse(a.body.toString("utf8")) as Record<string, unknown>;

  it("writes and reads a key with an encoded slash, with the guardrail and security headers", async () => {
    const put = await call("PUT", "/api/v1/kv/billing.runs/a%2Fb", {
      headers: { "content-type": "application/json", "idempotency-key": "lane-1" },
      body: JSON.stringify({ value: { n: 1 } }),
    });
    expect(put.status).toBe(201);
    expect(json(put)).toMatchObject({ namespace: "billing.runs", key: "a/b", version: 1 });
    expect(put.headers["x-guardrail-mode"]).toBe("normal");
    expect(put.headers["x-request-id"]).toMatch(/^req_/);
    for (const { key, value } of securityHeaders()) expect(put.headers[key.toLowerCase()]).toBe(value);

    const replay = await call("PUT", "/api/v1/kv/billing.runs/a%2Fb", {
      headers: { "content-type": "application/json", "idempotency-key": "lane-1" },
      body: JSON.stringify({ value: { n: 1 } }),
    });
    expect(replay.headers["idempotent-replayed"]).toBe("true");
    expect(replay.headers["x-request-id"]).toBe(put.headers["x-request-id"]);

    const got = await call("GET", "/api/v1/kv/billing.runs/a%2Fb");
    expect(got.status).toBe(200);
    expect(got.headers.etag).toBe('"1"');
    expect(json(got).value).toEqual({ n: 1 });
  });

  it("refuses a body over 1 MiB with a 413 envelope that reaches the caller", async () => {
    const huge = Buffer.alloc(2 * 1024 * 1024, "a");
    // Declared size: refused before reading.
    const declared = await call("PUT", "/api/v1/kv/billing.runs/big", {
      headers: { "content-type": "application/json" },
      body: huge,
    });
    expect(declared.status).toBe(413);
    expect(json(declared)).toMatchObject({ error: { code: "payload_too_large" } });
    // Chunked, no Content-Length: refused while reading, the rest discarded, the answer still sent.
    const chunked = await call("PUT", "/api/v1/kv/billing.runs/big", {
      headers: { "content-type": "application/json", "transfer-encoding": "chunked" },
      body: Array.from({ length: 32 }, () => huge.subarray(0, 64 * 1024)),
    });
    expect(chunked.status).toBe(413);
    expect(json(chunked)).toMatchObject({ error: { code: "payload_too_large" } });
  });

  it("compresses large answers for callers that accept gzip, and only for them", async () => {
    const value = { text: "guardrails ".repeat(2_000) };
    const put = await call("PUT", "/api/v1/kv/billing.runs/large", {
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ value }),
    });
    expect(put.status).toBe(201);

    const zipped = await call("GET", "/api/v1/kv/billing.runs/large", { headers: { "accept-encoding": "gzip, br" } });
    expect(zipped.headers["content-encoding"]).toBe("gzip");
    expect(zipped.headers.vary).toBe("Accept-Encoding");
    expect(Number(zipped.headers["content-length"])).toBe(zipped.body.length);
    expect(zipped.body.length).toBeLessThan(2_000);
    expect(JSON.parse(gunzipSync(zipped.body).toString("utf8")).value).toEqual(value);

    for (const acceptEncoding of [undefined, "identity", "gzip;q=0"]) {
      const plain = await call("GET", "/api/v1/kv/billing.runs/large", {
        headers: acceptEncoding ? { "accept-encoding": acceptEncoding } : {},
      });
      expect(plain.headers["content-encoding"], String(acceptEncoding)).toBeUndefined();
      expect(json(plain).value).toEqual(value);
    }
    // Small answers are never compressed.
    const small = await call("GET", "/api/v1/kv/billing.runs/a%2Fb", { headers: { "accept-encoding": "gzip" } });
    expect(small.headers["content-encoding"]).toBeUndefined();
  });

  it("answers refusals in the envelope: no key, a foreign namespace", async () => {
    const anonymous = await call("GET", "/api/v1/policy", { anonymous: true });
    expect(anonymous.status).toBe(401);
    expect(json(anonymous)).toMatchObject({ error: { code: "unauthorized" } });
    const foreign = await call("GET", "/api/v1/kv/payroll.runs/x");
    expect(foreign.status).toBe(403);
    expect(json(foreign)).toMatchObject({ error: { code: "forbidden_namespace" } });
  });
});
