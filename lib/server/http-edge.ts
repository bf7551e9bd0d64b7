import "server-only";
import type { IncomingMessage, ServerResponse } from "node:http";
import { AppError } from "@/lib/core/errors";
import { newId } from "@/lib/core/ids";
import { errorReply, type AgentReply } from "./agent-api/agent-route";
import { agentRouteMethods, writeReply } from "./agent-api/agent-server";
import { logger } from "./logger";

/**
 * The web server's edge: what scripts/server.mjs asks of every request before
 * anything routes on it (the agent lane, Next.js, proxy.ts).
 *
 * The request target. An absolute-form target (`GET http://other.host/login`,
 * RFC 9112 §3.2.2) names the host itself, and Next.js builds its URLs on it —
 * so its redirects (a path with `//`, a trailing slash, the signed-out
 * redirect) sent browsers to the named host. A target naming this request's
 * own Host is rewritten to the origin-form everything else reads; one naming
 * another host is refused (400): this server answers for no other host. Other
 * forms (`OPTIONS *`) are refused too: nothing here serves them.
 *
 * The method. Next.js cannot build a request for TRACE or TRACK (the fetch
 * standard forbids them): it answered 500 and logged a stack every time. Other
 * methods a route does not serve got a 400, a 405 without `Allow`, or the page
 * itself. Here every method a path does not serve answers 405 with `Allow` —
 * the agent error envelope under /api, plain text elsewhere — logged as a
 * warning. Nothing of the request is ever echoed.
 */

/** The order methods are listed in (`Allow`, `details.allowed`). */
const METHOD_ORDER = ["GET", "HEAD", "OPTIONS", "POST", "PUT", "DELETE", "PATCH"];

/**
 * The route handlers under app/api that only Next.js serves. The rest of
 * app/api/v1 is the endpoint table's (agent-api/endpoints.ts), whose methods
 * the lane's router reports (agentRouteMethods); a test holds both equal to the
 * route files' exports.
 */
const NEXT_API_ROUTES: { pattern: RegExp; methods: string[] }[] = [
  { pattern: /^\/api\/health$/, methods: ["GET"] },
  { pattern: /^\/api\/metrics$/, methods: ["GET"] },
  { pattern: /^\/api\/ping$/, methods: ["GET"] },
  { pattern: /^\/api\/v1\/openapi\.json$/, methods: ["GET"] },
  { pattern: /^\/api\/auth\/.+$/, methods: ["GET", "POST"] }, // Auth.js
];
/** app/api/v1/[...path] (the 404 envelope); also any other path under /api (Next.js's 404). */
const CATCH_ALL_METHODS = ["GET", "POST", "PUT", "DELETE", "PATCH"];
/** Pages answer GET and HEAD, and POST for server actions. */
const PAGE_METHODS = ["GET", "HEAD", "POST"];

const isApiPath = (path: string) => path.startsWith("/api/");

/** The methods served at a path (no query): what a route exports, plus HEAD and OPTIONS, which Next.js adds to every route handler. */
export function allowedMethods(path: string): string[] {
  if (!isApiPath(path)) return PAGE_METHODS;
  const exported =
    agentRouteMethods(path) ?? NEXT_API_ROUTES.find((r) => r.pattern.test(path))?.methods ?? CATCH_ALL_METHODS;
  const allowed = new Set([...exported, "OPTIONS", ...(exported.includes("GET") ? ["HEAD"] : [])]);
  return METHOD_ORDER.filter((m) => allowed.has(m));
}

const ABSOLUTE_FORM = /^([a-z][a-z0-9+.-]*):\/\/([^/?#]*)([^#]*)/i;

type Target = { ok: true; path: string } | { ok: false; path: string; host: string };

/** Reads the request target; an absolute-form one naming this request's own Host is rewritten to origin-form in place. */
function readTarget(req: IncomingMessage): Target {
  const target = req.url ?? "";
  if (target.startsWith("/")) return { ok: true, path: pathOf(target) };
  const absolute = ABSOLUTE_FORM.exec(target);
  if (!absolute) return { ok: false, path: "", host: "" };
  const [, scheme, authority, rest] = absolute as unknown as [string, string, string, string];
  const originForm = rest.startsWith("/") ? rest : `/${rest}`;
  const host = req.headers.host?.toLowerCase();
  if (!/^https?$/i.test(scheme) || !host || authority.toLowerCase() !== host) {
    return { ok: false, path: pathOf(originForm), host: authority };
  }
  req.url = originForm;
  return { ok: true, path: pathOf(originForm) };
}

function pathOf(target: string): string {
  const query = target.indexOf("?");
  return query === -1 ? target : target.slice(0, query);
}

/** Log fields: bounded, since both come from the caller. */
const clip = (text: string) => (text.length > 200 ? `${text.slice(0, 200)}…` : text);

function refusal(path: string, error: AppError, headers: Record<string, string>): AgentReply {
  if (isApiPath(path)) return errorReply(error, newId("req"), headers);
  return {
    status: error.status,
    headers: { ...headers, "Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-store" },
    body: `${error.message}\n`,
  };
}

/**
 * Answers a request the server must not route (see above) and returns true;
 * returns false for everything else, after putting an absolute-form target
 * into origin-form.
 */
export function screenRequest(req: IncomingMessage, res: ServerResponse): boolean {
  const method = req.method ?? "GET";
  const target = readTarget(req);
  let reply: AgentReply;
  if (!target.ok) {
    logger.warn({ method, host: clip(target.host) }, "request target refused: not this server's origin-form or host");
    reply = refusal(
      target.path,
      new AppError("invalid_request", "the request target must be a path on this server (origin-form)"),
      {},
    );
  } else {
    const allowed = allowedMethods(target.path);
    if (allowed.includes(method)) return false;
    logger.warn({ method, path: clip(target.path) }, "method not allowed");
    reply = refusal(
      target.path,
      new AppError("method_not_allowed", `${method} is not allowed here; allowed: ${allowed.join(", ")}`, {
        allowed,
      }),
      { Allow: allowed.join(", ") },
    );
  }
  writeReply(req, res, reply).catch((error: unknown) => {
    logger.error({ err: error }, "edge refusal failed");
    res.destroy();
  });
  return true;
}

export type HttpEdge = { screen: typeof screenRequest };

/** Where scripts/server.mjs finds the edge (installed with the lane by instrumentation.ts). */
export const HTTP_EDGE_KEY = Symbol.for("basekv.httpEdge");

export function installHttpEdge(): void {
  (globalThis as { [HTTP_EDGE_KEY]?: HttpEdge })[HTTP_EDGE_KEY] = { screen: screenRequest };
}
