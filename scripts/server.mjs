// @ts-check
/**
 * The web server: one Node.js HTTP server in front of Next.js. Requests for the
 * agent API's endpoints go straight to them (lib/server/agent-api/agent-server.ts
 * says why); everything else is Next.js's. `npm start`, `npm run bench` and the
 * end-to-end suites run this, never a bare `next start`.
 *
 *   node scripts/server.mjs [--dev] [--port 3000] [--hostname 0.0.0.0]
 *
 * Plain JavaScript run by plain Node.js on purpose: under a TypeScript loader
 * (tsx) every module Next.js requires while serving passes the loader's hooks,
 * which cost the dashboard a third of its throughput (measured: GET /api/ping
 * 1.1 ms of CPU per request under node, 1.7–2.1 ms under tsx).
 */
import { createServer } from "node:http";
import path from "node:path";
import { fileURLToPath } from "node:url";
import next from "next";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

/**
 * @typedef {{
 *   match(method: string, target: string): unknown;
 *   serve(req: import("node:http").IncomingMessage, res: import("node:http").ServerResponse, match: unknown): Promise<void>;
 * }} AgentLane
 */
// Installed by instrumentation.ts from the bundled endpoints (agent-server.ts's AGENT_LANE_KEY).
const LANE_KEY = Symbol.for("basekv.agentLane");
/** @returns {AgentLane | undefined} */
const lane = () => /** @type {Record<symbol, AgentLane | undefined>} */ (/** @type {unknown} */ (globalThis))[LANE_KEY];

// ——— The edge (lib/server/http-edge.ts): request targets and methods, before anything routes on them ———
// Installed by instrumentation.ts (http-edge.ts's HTTP_EDGE_KEY).
const EDGE_KEY = Symbol.for("basekv.httpEdge");
/** @typedef {{ screen(req: import("node:http").IncomingMessage, res: import("node:http").ServerResponse): boolean }} HttpEdge */
/** @returns {HttpEdge | undefined} */
const edge = () => /** @type {Record<symbol, HttpEdge | undefined>} */ (/** @type {unknown} */ (globalThis))[EDGE_KEY];
/**
 * Until instrumentation has installed the edge (the first moments after listen; the dev server until its first
 * request): refuse, bare, what Next.js must never see — TRACE/TRACK (Next.js answers 500; 501 here, 405 once the
 * edge knows the routes) and targets that are not origin-form (Next.js builds redirects on their host).
 * @param {import("node:http").IncomingMessage} req
 * @param {import("node:http").ServerResponse} res
 */
function screenBeforeEdge(req, res) {
  const trace = req.method === "TRACE" || req.method === "TRACK";
  if (!trace && req.url?.startsWith("/")) return false;
  res.writeHead(trace ? 501 : 400, { "Content-Type": "text/plain", "Cache-Control": "no-store", Connection: "close" });
  res.end();
  return true;
}
// ——— end of the edge ———

/** @param {string} name */
function flag(name) {
  const i = process.argv.indexOf(name);
  return i === -1 ? undefined : process.argv[i + 1];
}
const dev = process.argv.includes("--dev");
const port = Number(flag("--port") ?? process.env.PORT ?? 3000);
const hostname = flag("--hostname") ?? "0.0.0.0";
if (!Number.isInteger(port) || port < 1 || port > 65535) {
  console.error(`--port must be a port number, got "${flag("--port") ?? process.env.PORT}"`);
  process.exit(1);
}

const server = createServer();
// Idle keep-alive connections stay open 65 s, longer than the proxies in front of it keep theirs (60 s is
// the usual default: AWS ALB, nginx's upstream keepalive_timeout). With Node.js's default of 5 s, a proxy or
// client that sends its next request on a connection just as the server closes it gets a reset (a 502
// behind a proxy; seen in the e2e suite as `route.fetch: read ECONNRESET`). headersTimeout stays above it.
server.keepAliveTimeout = 65_000;
server.headersTimeout = 66_000;
const app = next({ dev, dir: ROOT, hostname, port, httpServer: server });
const nextHandler = app.getRequestHandler();
await app.prepare();

// ── The client's address (lib/server/auth/client-address.ts) ──────────────────────────────────────
// A Web Request, what Next.js hands the app, has no socket: the TCP peer's address goes in this header,
// set here on every request and overwriting any a client sent; the name is published so the app knows
// this server is in front (without it, a client could send the header itself).
const PEER_HEADER = "x-basekv-peer-address";
/** @type {Record<symbol, unknown>} */ (/** @type {unknown} */ (globalThis))[Symbol.for("basekv.peerAddressHeader")] =
  PEER_HEADER;
// ─────────────────────────────────────────────────────────────────────────────────────────────────

server.on("request", (req, res) => {
  req.headers[PEER_HEADER] = req.socket.remoteAddress ?? "";
  if ((edge()?.screen ?? screenBeforeEdge)(req, res)) return; // the edge, above
  const agent = lane();
  const match = agent?.match(req.method ?? "GET", req.url ?? "/");
  if (agent && match) {
    agent.serve(req, res, match).catch((/** @type {unknown} */ error) => {
      console.error("[server] agent lane failed", error);
      if (!res.headersSent) res.writeHead(500, { "Content-Type": "application/json" });
      res.end();
    });
    return;
  }
  void nextHandler(req, res);
});

await new Promise((resolve) => server.listen(port, hostname, () => resolve(null)));
// Next.js loads the app (and runs instrumentation.ts, which installs the lane) on its first request.
await fetch(`http://127.0.0.1:${port}/api/ping`).catch(() => {});
const shown = hostname === "0.0.0.0" ? "localhost" : hostname;
console.log(
  `[server] ${dev ? "development" : "production"} server on http://${shown}:${port}` +
    (lane() ? "; the agent API on its own lane" : "; the agent API through Next.js until instrumentation has run"),
);

let closing = false;
/** @param {NodeJS.Signals} signal */
function close(signal) {
  if (closing) return;
  closing = true;
  // Requests in flight finish first; idle keep-alive connections would hold close() open.
  setTimeout(() => process.exit(0), 5_000).unref();
  server.closeIdleConnections();
  server.close(() => {
    Promise.resolve(/** @type {{ close?: () => Promise<void> }} */ (app).close?.())
      .catch(() => {})
      .then(() => process.exit(signal === "SIGINT" ? 130 : 0));
  });
}
process.on("SIGTERM", () => close("SIGTERM"));
process.on("SIGINT", () => close("SIGINT"));
