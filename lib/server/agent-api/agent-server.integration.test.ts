import { request as httpRequest } from "node:http";
import path from "node:path";
import { routeFilesUnder } from "@/tests/app-entry-points";
import { gunzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { securityHeaders } from "@/lib/security-headers";
import { seedAgent } from "@/tests/agent-fixtures";
import { startApiServer } from "@/tests/sdk-server";
import { matchAgentRoute } from "./agent-server";

/**
 * The agent API's own lane (what scripts/server.mjs serves /api/v1 with): the
 * same endpoints as the Next.js route files, over Node's request and response.
 */

const API_DIR = path.join(process.cwd(), "app", "api", "v1");
const METHODS = ["GET", "POST", "PUT", "DELETE", "PATCH"] as const;
// A sample value for each dynamic segment of a route file's folder.
const SAMPLE: Record<string, string> = { "[namespace]": "billing.runs", "[key]": "k%2F1", "[id]": "task_x" };

describe("the agent lane's route table", () => {
  it("serves exactly the endpoints of app/api/v1's route files, method by method", async () => {
    const files = routeFilesUnder(path.relative(process.cwd(), API_DIR));
    let checked = 0;
    for (const file of files) {
      const segments = path.relative(API_DIR, path.dirname(file)).split(path.sep);
      // The catch-all and the OpenAPI document stay with Next.js.
      if (segments[0] === "[...path]" || segments[0] === "openapi.json") continue;
      const urlPath = `/api/v1/${segments.map((s) => SAMPLE[s] ?? s).join("/")}`;
      const mod = (await import(file)) as Record<string, unknown>;
      for (const method of METHODS) {
        const match = matchAgentRoute(method, `${urlPath}?limit=5`);
        if (mod[method]) {
          expect(match?.endpoint, `${method} ${urlPath}`).toBe(mod[method]);
          checked++;
        } else {
          expect(match, `${method} ${urlPath} is not served`).toBeNull();
        }
      }
    }
    expect(checked).toBe(9); // policy; kv get/put/delete; kv list; tasks list/create; task get; task events
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
