import { Agent, get as httpGet } from "node:http";
import { rawRequest, type RawAnswer } from "../../tests/raw-http";
import { expect, test } from "./fixtures";

/**
 * The server's edge against the real server (issue #17, item 13), with raw
 * requests on a TCP socket — what no browser or HTTP client sends: TRACE with
 * a marker to find in an echo, methods a route does not serve, and
 * absolute-form targets (`GET http://evil.example/login HTTP/1.1` with this
 * server's Host), which Next.js turned into redirects to the named host. The
 * same attacks on the agent lane alone, with the log lines: lib/server/http-edge.integration.test.ts.
 */

const MARKER = "echo-marker-7d41b2";
const PAGE_ALLOW = "GET, HEAD, POST";

const portOf = (baseURL: string | undefined) => Number(new URL(baseURL!).port);

function expectMethodNotAllowed(answer: RawAnswer, label: string, allow: string) {
  expect(answer.status, `${label}: ${answer.raw.slice(0, 300)}`).toBe(405);
  expect(answer.headers.allow, label).toBe(allow);
  expect(answer.raw, label).not.toContain(MARKER);
  expect(answer.headers["content-security-policy"], label).toContain("default-src 'none'");
}

function expectEnvelope(answer: RawAnswer, label: string, code: string) {
  expect(answer.headers["content-type"], label).toBe("application/json");
  const body = JSON.parse(answer.body) as { error: Record<string, unknown> };
  expect(Object.keys(body), label).toEqual(["error"]);
  expect(body.error, label).toMatchObject({ code, requestId: answer.headers["x-request-id"] });
  expect(body.error.requestId, label).toMatch(/^req_/);
  expect(typeof body.error.message, label).toBe("string");
  return body.error;
}

test("TRACE on every kind of path answers 405 with Allow, never echoes the request and never a 500", async ({
  baseURL,
}) => {
  const port = portOf(baseURL);
  const headers = { "X-Marker": MARKER, Cookie: `probe=${MARKER}` };
  // Pages (signed out: proxy.ts would redirect), sign-in, and what Next.js serves under /api.
  for (const path of ["/", "/login", "/w/demo", "/_next/static/x.js"]) {
    const answer = await rawRequest(port, `TRACE ${path} HTTP/1.1`, headers);
    expectMethodNotAllowed(answer, `TRACE ${path}`, PAGE_ALLOW);
    expect(answer.headers["content-type"]).toContain("text/plain");
  }
  const api: [string, string][] = [
    ["/api/health", "GET, HEAD, OPTIONS"],
    ["/api/metrics", "GET, HEAD, OPTIONS"],
    ["/api/ping", "GET, HEAD, OPTIONS"],
    ["/api/v1/openapi.json", "GET, HEAD, OPTIONS"],
    ["/api/auth/session", "GET, HEAD, OPTIONS, POST"],
    ["/api/v1/policy", "GET, HEAD, OPTIONS"],
    ["/api/v1/no-such-endpoint", "GET, HEAD, OPTIONS, POST, PUT, DELETE, PATCH"],
    ["/api/nothing-here", "GET, HEAD, OPTIONS, POST, PUT, DELETE, PATCH"],
  ];
  for (const [path, allow] of api) {
    const answer = await rawRequest(port, `TRACE ${path} HTTP/1.1`, headers);
    expectMethodNotAllowed(answer, `TRACE ${path}`, allow);
    const error = expectEnvelope(answer, `TRACE ${path}`, "method_not_allowed");
    expect(error.details).toEqual({ allowed: allow.split(", ") });
  }
  // TRACK is refused by Node's own parser, before any of our code: 400, nothing echoed.
  const track = await rawRequest(port, "TRACK /login HTTP/1.1", headers);
  expect(track.status).toBe(400);
  expect(track.raw).not.toContain(MARKER);
});

test("a method an /api route does not serve: 405, Allow and the error envelope; the methods it serves still answer", async ({
  baseURL,
  request,
}) => {
  const port = portOf(baseURL);
  const cases: [string, string, string][] = [
    ["DELETE", "/api/health", "GET, HEAD, OPTIONS"],
    ["PROPFIND", "/api/health", "GET, HEAD, OPTIONS"],
    ["POST", "/api/metrics", "GET, HEAD, OPTIONS"],
    ["PUT", "/api/ping", "GET, HEAD, OPTIONS"],
    ["PATCH", "/api/v1/openapi.json", "GET, HEAD, OPTIONS"],
    ["PUT", "/api/auth/session", "GET, HEAD, OPTIONS, POST"],
    ["DELETE", "/api/v1/policy", "GET, HEAD, OPTIONS"],
    ["PATCH", "/api/v1/kv/billing.runs/k", "GET, HEAD, OPTIONS, PUT, DELETE"],
    ["PROPFIND", "/api/v1/no-such-endpoint", "GET, HEAD, OPTIONS, POST, PUT, DELETE, PATCH"],
  ];
  for (const [method, path, allow] of cases) {
    const answer = await rawRequest(port, `${method} ${path} HTTP/1.1`, {}, method === "GET" ? "" : "{}");
    expectMethodNotAllowed(answer, `${method} ${path}`, allow);
    expectEnvelope(answer, `${method} ${path}`, "method_not_allowed");
  }
  // The 405 envelope is the document's Error405.
  const doc = (await (await request.get("/api/v1/openapi.json")).json()) as {
    components: { schemas: Record<string, { properties: { error: { properties: { code: { enum: string[] } } } } }> };
  };
  expect(doc.components.schemas.Error405!.properties.error.properties.code.enum).toEqual(["method_not_allowed"]);

  expect((await rawRequest(port, "GET /api/health HTTP/1.1")).status).toBe(200);
  expect((await rawRequest(port, "HEAD /api/health HTTP/1.1")).status).toBe(200);
  const options = await rawRequest(port, "OPTIONS /api/health HTTP/1.1");
  expect(options.status).toBe(204);
  expect(options.headers.allow).toBe("GET, HEAD, OPTIONS");
});

test("pages answer GET, HEAD and POST only: anything else is 405 in plain text", async ({ baseURL }) => {
  const port = portOf(baseURL);
  for (const line of ["DELETE /login", "PUT /login", "OPTIONS /login", "PROPFIND /w/demo", "PATCH /"]) {
    const answer = await rawRequest(port, `${line} HTTP/1.1`, { "X-Marker": MARKER });
    expectMethodNotAllowed(answer, line, PAGE_ALLOW);
    expect(answer.body).not.toContain("<html");
  }
  expect((await rawRequest(port, "GET /login HTTP/1.1")).status).toBe(200);
  expect((await rawRequest(port, "HEAD /login HTTP/1.1")).status).toBe(200);
});

test("an absolute-form target naming another host never produces a Location to that host", async ({ baseURL }) => {
  const port = portOf(baseURL);
  const own = `127.0.0.1:${port}`;
  // Each of these redirects today's way on a path: /, a dashboard page (signed out → /login), a trailing slash,
  // a doubled slash; and the agent lane's and Next.js's API paths.
  const paths = [
    "/",
    "/login",
    "/login/",
    "/w/demo",
    "/w/demo/",
    "//w/demo",
    "/api/v1/policy",
    "/api/v1/policy/",
    "/api/health/",
  ];
  for (const path of paths) {
    for (const target of [
      `http://evil.example${path}`,
      `https://evil.example${path}`,
      `http://${own}@evil.example${path}`,
    ]) {
      const answer = await rawRequest(port, `GET ${target} HTTP/1.1`);
      expect(answer.status, target).toBe(400);
      expect(answer.headers.location, target).toBeUndefined();
      expect(answer.headers.refresh, target).toBeUndefined();
      expect(answer.raw, target).not.toMatch(/evil\.example/i);
    }
  }
  // Naming this server's own host, the same targets are served as their origin-form: every redirect stays here.
  for (const path of paths) {
    const answer = await rawRequest(port, `GET http://${own}${path} HTTP/1.1`);
    expect(answer.status, path).toBeLessThan(500);
    if (answer.headers.location) {
      expect(new URL(answer.headers.location, `http://${own}`).host, `${path} → ${answer.headers.location}`).toBe(own);
    }
  }
  const login = await rawRequest(port, `GET http://${own}/w/demo HTTP/1.1`);
  expect(login.status).toBe(307);
  expect(login.headers.location).toBe("/login?next=%2Fw%2Fdemo");
  // An origin-form target that looks like a host (`//evil.example/login`) stays a path on this host.
  const doubled = await rawRequest(port, "GET //evil.example/login HTTP/1.1");
  expect(new URL(doubled.headers.location ?? "/", `http://${own}`).host).toBe(own);
});

test("an idle keep-alive connection outlives a proxy's 60 s: the server says 65 s and still answers on it after 6 s", async ({
  baseURL,
}) => {
  // Node.js's default is 5 s: a client (or a proxy in front) reusing the connection just as the server closed
  // it got a reset. One agent, one socket: the second request must travel on the first one's connection.
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const get = () =>
    new Promise<{ status: number; keepAlive: string; socket: unknown }>((resolve, reject) => {
      const req = httpGet(`${baseURL}/api/health`, { agent }, (res) => {
        res.resume();
        res.on("end", () => resolve({ status: res.statusCode ?? 0, keepAlive: String(res.headers["keep-alive"]), socket: req.socket }));
      });
      req.on("error", reject);
    });
  try {
    const first = await get();
    expect(first.status).toBe(200);
    expect(first.keepAlive).toBe("timeout=65");
    await new Promise((resolve) => setTimeout(resolve, 6_000));
    const second = await get();
    expect(second.status).toBe(200);
    expect(second.socket).toBe(first.socket);
  } finally {
    agent.destroy();
  }
});
