import "server-only";
import type { IncomingMessage, ServerResponse } from "node:http";
import { promisify } from "node:util";
import { gzip } from "node:zlib";
import { resolveClientAddress } from "@/lib/core/client-address";
import { AppError } from "@/lib/core/errors";
import { newId } from "@/lib/core/ids";
import { env } from "@/lib/env";
import { securityHeaders } from "@/lib/security-headers";
import { logger } from "../logger";
import { errorReply, type AgentReply, type AgentRequest } from "./agent-route";
import { AGENT_ENDPOINTS, type AgentEndpointRow } from "./endpoints";

/**
 * The agent API's own HTTP lane. Agents are the product's hot path, and a
 * Next.js route handler costs about 2 ms of CPU per call before any of our
 * code runs (measured: a guarded PUT took 2.3–2.9 ms of app CPU through the
 * App Router, 0.65–0.8 ms through this lane — the same wrapper and SQL). So
 * the server (scripts/server.mjs) hands requests for the endpoint table's
 * routes (endpoints.ts) straight to their endpoints on Node's request and response; everything else — the
 * dashboard, sign-in, health, metrics, the OpenAPI document, and unknown
 * /api/v1 paths — goes to Next.js as before. The Next.js route files under
 * app/api/v1 serve the very same endpoint objects, so a request that reaches
 * Next.js (`next dev` before instrumentation has run, a plain `next start`) is
 * answered identically, only slower.
 */
type Route = {
  pattern: RegExp;
  methods: Partial<Record<string, { endpoint: AgentEndpointRow["endpoint"]; decode: [name: string, group: number][] }>>;
};

const DYNAMIC = /^\{([^}]+)\}$/;

/**
 * The router, compiled from the endpoint table (endpoints.ts): one pattern per path template, each
 * `{name}` one raw segment (`[^/]+`, percent-encoding intact). Ordered as Next.js matches app/api/v1:
 * among templates of the same length, a static segment before a dynamic one at the first place they
 * differ (a future `/kv/search` would win over `/kv/{namespace}`).
 */
export function compileRoutes(rows: readonly AgentEndpointRow[]): Route[] {
  const byPath = new Map<string, Route & { names: string[]; rank: string }>();
  for (const row of rows) {
    let route = byPath.get(row.path);
    if (!route) {
      const segments = row.path.split("/");
      const names = segments.flatMap((s) => DYNAMIC.exec(s)?.[1] ?? []); // in the order of the pattern's groups
      const source = segments
        .map((s) => (DYNAMIC.test(s) ? "([^/]+)" : s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")))
        .join("\\/");
      const rank = `${String(segments.length).padStart(3, "0")}:${segments.map((s) => (DYNAMIC.test(s) ? 1 : 0)).join("")}`;
      route = { pattern: new RegExp(`^${source}$`), names, methods: {}, rank };
      byPath.set(row.path, route);
    }
    const decode = (row.params ?? []).map((name): [string, number] => {
      const group = route.names.indexOf(name) + 1;
      if (group === 0) throw new Error(`${row.operationId}: no {${name}} in ${row.path}`);
      return [name, group];
    });
    route.methods[row.method] = { endpoint: row.endpoint, decode };
  }
  return [...byPath.values()].sort((a, b) => (a.rank < b.rank ? -1 : a.rank > b.rank ? 1 : 0));
}

const ROUTES = compileRoutes(AGENT_ENDPOINTS);

export type AgentMatch = {
  endpoint: AgentEndpointRow["endpoint"];
  params: Record<string, string>;
};

/**
 * The endpoint for a method and a raw request target, or null when this lane
 * does not serve it (Next.js then answers: its 404 envelope, HEAD, OPTIONS, redirects; a method the
 * path does not serve is refused before, by lib/server/http-edge.ts).
 */
export function matchAgentRoute(method: string, target: string): AgentMatch | null {
  if (!target.startsWith("/api/v1/")) return null;
  const query = target.indexOf("?");
  const path = query === -1 ? target : target.slice(0, query);
  for (const route of ROUTES) {
    const match = route.pattern.exec(path);
    if (!match) continue;
    const served = route.methods[method];
    if (!served) return null;
    const params: Record<string, string> = {};
    try {
      for (const [name, group] of served.decode) params[name] = decodeURIComponent(match[group]!);
    } catch {
      return null; // a malformed percent-escape in an id: Next.js refuses it as before
    }
    return { endpoint: served.endpoint, params };
  }
  return null;
}

/** The methods this lane serves at a path (before any query), or null when no route of its table has that path. */
export function agentRouteMethods(path: string): string[] | null {
  const route = ROUTES.find((r) => r.pattern.test(path));
  return route ? Object.keys(route.methods) : null;
}

/** The envelope for a path no endpoint serves. */
export function notFoundReply(request: AgentRequest): AgentReply {
  const path = new URL(request.url).pathname;
  return errorReply(new AppError("not_found", `no such endpoint: ${request.method} ${path}`), newId("req"));
}

/** Node's request as the wrapper reads it. */
function fromNodeRequest(req: IncomingMessage): AgentRequest {
  const method = req.method ?? "GET";
  return {
    method,
    // Only the path and the query are read; the host is not trusted for anything.
    url: `http://localhost${req.url ?? "/"}`,
    headers: {
      get(name) {
        const value = req.headers[name.toLowerCase()];
        return value === undefined ? null : Array.isArray(value) ? value.join(", ") : value;
      },
    },
    // Left open when the reader stops early (a body over the limit): the 413 is written on this socket,
    // with Connection: close (writeReply), and Node discards the rest of the body.
    body: method === "GET" || method === "HEAD" ? null : req.iterator({ destroyOnReturn: false }),
    // The TCP peer, or what trusted proxies (TRUSTED_PROXIES) say it was — the sign-in limit's rule.
    clientAddress: () =>
      resolveClientAddress({
        peer: req.socket.remoteAddress,
        forwardedFor: req.headers["x-forwarded-for"] as string | undefined,
        trusted: env().TRUSTED_PROXIES,
      }),
  };
}

const gzipAsync = promisify(gzip);
/** Below this, compressing costs more than it saves (the threshold Next.js uses too). */
const COMPRESS_FROM_BYTES = 1024;

function acceptsGzip(header: string | undefined): boolean {
  if (!header) return false;
  return header.split(",").some((part) => {
    const [coding, ...params] = part.trim().toLowerCase().split(";");
    if (coding !== "gzip" && coding !== "*") return false;
    const q = params.map((p) => p.trim()).find((p) => p.startsWith("q="));
    return !q || Number(q.slice(2)) > 0;
  });
}

let fixedHeaders: Record<string, string> | undefined;

/** Writes a reply with the security headers (also the edge's refusals, lib/server/http-edge.ts). */
export async function writeReply(req: IncomingMessage, res: ServerResponse, reply: AgentReply): Promise<void> {
  fixedHeaders ??= Object.fromEntries(securityHeaders().map(({ key, value }) => [key, value]));
  let body: string | Buffer = reply.body;
  const headers: Record<string, string> = { ...fixedHeaders, ...reply.headers, Vary: "Accept-Encoding" };
  if (Buffer.byteLength(body) >= COMPRESS_FROM_BYTES && acceptsGzip(req.headers["accept-encoding"])) {
    // On libuv's thread pool, not on the request loop.
    body = await gzipAsync(body);
    headers["Content-Encoding"] = "gzip";
  }
  headers["Content-Length"] = String(Buffer.byteLength(body));
  // Answered before the body was read to its end (a 413): this connection cannot carry another request.
  if (!req.complete) headers.Connection = "close";
  res.writeHead(reply.status, headers);
  res.end(req.method === "HEAD" ? undefined : body);
}

/** Serves one matched agent request on Node's request and response. */
export async function serveAgentRequest(req: IncomingMessage, res: ServerResponse, match: AgentMatch): Promise<void> {
  let reply: AgentReply;
  try {
    reply = await match.endpoint.serve(fromNodeRequest(req), match.params);
  } catch (error) {
    // The wrapper answers every failure itself; this is the last line, never expected to run.
    logger.error({ err: error }, "agent lane failed");
    reply = errorReply(new AppError("internal", "internal error"), newId("req"));
  }
  if (res.headersSent || res.destroyed) return;
  await writeReply(req, res, reply);
}

export type AgentLane = {
  match: typeof matchAgentRoute;
  serve: typeof serveAgentRequest;
};

/** Where scripts/server.mjs finds the lane: the server is not bundled, the endpoints are (instrumentation.ts installs it). */
export const AGENT_LANE_KEY = Symbol.for("basekv.agentLane");

export function installAgentLane(): void {
  (globalThis as { [AGENT_LANE_KEY]?: AgentLane })[AGENT_LANE_KEY] = {
    match: matchAgentRoute,
    serve: serveAgentRequest,
  };
}
