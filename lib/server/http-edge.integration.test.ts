import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { routeFilesUnder } from "@/tests/app-entry-points";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { API_CONTENT_SECURITY_POLICY } from "@/lib/security-headers";
import { errorEnvelopeSchema } from "@/lib/validations/agent-api";
import { seedAgent } from "@/tests/agent-fixtures";
import { rawRequest, type RawAnswer } from "@/tests/raw-http";
import { matchAgentRoute, serveAgentRequest } from "./agent-api/agent-server";
import { allowedMethods, screenRequest } from "./http-edge";
import { captureLogs } from "./logger";

/**
 * The web server's edge (what scripts/server.mjs asks of every request first),
 * over real HTTP in front of the agent lane, attacked with raw requests on a
 * TCP socket: TRACE and methods a route does not serve, absolute-form targets.
 * The Next.js-served paths and pages get the same attacks against the real
 * server in e2e/api/http-edge.spec.ts.
 */

// Auth.js cannot load outside Next.js; its route file re-exports what NextAuth's `handlers` has: GET and POST.
vi.mock("@/lib/server/auth/config", () => ({ handlers: { GET: () => {}, POST: () => {} } }));

const API_DIR = path.join(process.cwd(), "app", "api");
const STANDARD = ["GET", "POST", "PUT", "DELETE", "PATCH"] as const;
// A sample value for each dynamic segment of a route file's folder.
const SAMPLE: Record<string, string> = {
  "[namespace]": "billing.runs",
  "[key]": "k%2F1",
  "[id]": "task_x",
  "[...path]": "no-such/endpoint",
  "[...nextauth]": "session",
};


describe("the methods the edge allows", () => {
  it("are exactly each route file's exports under app/api, plus the HEAD and OPTIONS Next.js adds", async () => {
    const files = routeFilesUnder(path.relative(process.cwd(), API_DIR));
    expect(files.length).toBeGreaterThanOrEqual(12);
    for (const file of files) {
      const segments = path.relative(API_DIR, path.dirname(file)).split(path.sep);
      const urlPath = `/api/${segments.map((s) => SAMPLE[s] ?? s).join("/")}`;
      const mod = (await import(file)) as Record<string, unknown>;
      const exported = STANDARD.filter((m) => typeof mod[m] === "function");
      expect(exported.length, urlPath).toBeGreaterThan(0);
      const implied = ["OPTIONS", ...(exported.includes("GET") ? ["HEAD"] : [])];
      expect(allowedMethods(urlPath).sort(), urlPath).toEqual([...exported, ...implied].sort());
    }
  });

  it("pages: GET, HEAD, and POST for server actions", () => {
    for (const page of ["/", "/login", "/w/demo/audit", "/api", "/_next/static/x.js"])
      expect(allowedMethods(page), page).toEqual(["GET", "HEAD", "POST"]);
  });
});

describe("the edge in front of the agent lane, over a raw socket", () => {
  let server: Server;
  let port: number;
  let agent: Awaited<ReturnType<typeof seedAgent>>;
  beforeAll(async () => {
    agent = await seedAgent();
    // scripts/server.mjs's order: the edge, then the lane; Next.js (here a marker) gets the rest.
    server = createServer((req, res) => {
      if (screenRequest(req, res)) return;
      const match = matchAgentRoute(req.method ?? "GET", req.url ?? "/");
      if (match) return void serveAgentRequest(req, res, match);
      res.writeHead(299, { "Content-Type": "text/plain" }).end(`next.js: ${req.method} ${req.url}`);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );

  const MARKER = "echo-marker-5f1c9e";
  const auth = () => ({ Authorization: `Bearer ${agent.key}` });

  function expectEnvelope(answer: RawAnswer, code: string) {
    expect(answer.headers["content-type"]).toBe("application/json");
    const body = errorEnvelopeSchema().parse(JSON.parse(answer.body));
    expect(body.error.code).toBe(code);
    expect(body.error.requestId).toBe(answer.headers["x-request-id"]);
    expect(answer.headers["content-security-policy"]).toBe(API_CONTENT_SECURITY_POLICY);
    return body;
  }

  it("TRACE on agent paths: 405 with Allow and the envelope, nothing echoed, a warning without a stack", async () => {
    const logs = captureLogs();
    try {
      for (const target of ["/api/v1/policy", "/api/v1/policy?limit=1"]) {
        const answer = await rawRequest(port, `TRACE ${target} HTTP/1.1`, { ...auth(), "X-Marker": MARKER });
        expect(answer.status, target).toBe(405);
        expect(answer.headers.allow).toBe("GET, HEAD, OPTIONS");
        const body = expectEnvelope(answer, "method_not_allowed");
        expect(body.error.details).toEqual({ allowed: ["GET", "HEAD", "OPTIONS"] });
        expect(answer.raw).not.toContain(MARKER);
        expect(answer.raw).not.toContain(agent.key);
        expect(answer.raw).not.toMatch(/^[A-Z]+ \/api/m); // no request line reflected
      }
      // TRACK never gets this far: Node's parser refuses it (400) before any handler.
      const track = await rawRequest(port, "TRACK /api/v1/policy HTTP/1.1", { ...auth(), "X-Marker": MARKER });
      expect(track.status).toBe(400);
      expect(track.raw).not.toContain(MARKER);
    } finally {
      logs.restore();
    }
    const lines = logs.lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    const warnings = lines.filter((l) => l.msg === "method not allowed");
    expect(warnings).toHaveLength(2);
    for (const line of warnings) {
      expect(line).toMatchObject({ level: "warn", path: "/api/v1/policy" });
      expect(JSON.stringify(line)).not.toMatch(/stack|"err"/);
    }
    expect(lines.filter((l) => l.level === "error")).toEqual([]);
  });

  it("a method an agent route does not serve: 405 with that route's Allow; the ones it serves still work", async () => {
    const cases: [string, string, string][] = [
      ["DELETE", "/api/v1/policy", "GET, HEAD, OPTIONS"],
      ["PATCH", "/api/v1/kv/billing.runs/k1", "GET, HEAD, OPTIONS, PUT, DELETE"],
      ["POST", "/api/v1/kv/billing.runs", "GET, HEAD, OPTIONS"],
      ["PUT", "/api/v1/tasks", "GET, HEAD, OPTIONS, POST"],
      ["GET", "/api/v1/tasks/task_x/events", "OPTIONS, POST"],
      ["PROPFIND", "/api/v1/tasks/task_x?x=1", "GET, HEAD, OPTIONS"],
      ["PROPFIND", "/api/v1/no-such-endpoint", "GET, HEAD, OPTIONS, POST, PUT, DELETE, PATCH"],
    ];
    for (const [method, target, allow] of cases) {
      const answer = await rawRequest(port, `${method} ${target} HTTP/1.1`, auth());
      expect(answer.status, `${method} ${target}`).toBe(405);
      expect(answer.headers.allow, `${method} ${target}`).toBe(allow);
      expectEnvelope(answer, "method_not_allowed");
    }
    const policy = await rawRequest(port, "GET /api/v1/policy HTTP/1.1", auth());
    expect(policy.status).toBe(200);
    // HEAD and OPTIONS are Next.js's (it derives them from the route file); the edge lets them through.
    expect((await rawRequest(port, "OPTIONS /api/v1/policy HTTP/1.1")).body).toBe("next.js: OPTIONS /api/v1/policy");
  });

  it("an absolute-form target naming another host is refused without a Location; one naming this host is served", async () => {
    for (const target of [
      "http://evil.example/api/v1/policy",
      "http://evil.example/api/v1/policy/", // Next.js would redirect the trailing slash — to evil.example
      "https://evil.example/api/v1/policy",
      `http://127.0.0.1:${port}@evil.example/api/v1/policy`,
      "HTTP://EVIL.EXAMPLE//api/v1/policy",
    ]) {
      const answer = await rawRequest(port, `GET ${target} HTTP/1.1`, auth());
      expect(answer.status, target).toBe(400);
      expect(answer.headers.location, target).toBeUndefined();
      expect(answer.raw, target).not.toMatch(/evil\.example/i);
      if (!target.includes("//api")) expectEnvelope(answer, "invalid_request"); // `//api/…` is not an /api path
    }
    for (const target of ["*", "evil.example:443"]) {
      const answer = await rawRequest(port, `OPTIONS ${target} HTTP/1.1`);
      expect(answer.status, target).toBe(400);
      expect(answer.headers.location).toBeUndefined();
    }
    const own = await rawRequest(port, `GET http://127.0.0.1:${port}/api/v1/policy?x=1 HTTP/1.1`, auth());
    expect(own.status).toBe(200);
    expect(JSON.parse(own.body)).toMatchObject({ identity: { name: "invoice-bot" } });
    const ownToNext = await rawRequest(port, `GET http://127.0.0.1:${port}//login HTTP/1.1`);
    expect(ownToNext.body).toBe("next.js: GET //login"); // origin-form from here on: Next.js's redirects stay on this host
  });
});
