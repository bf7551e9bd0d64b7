import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { GET as catchAll } from "@/app/api/v1/[...path]/route";
import { DELETE as kvDelete, GET as kvGet, PUT as kvPut } from "@/app/api/v1/kv/[namespace]/[key]/route";
import { GET as kvList } from "@/app/api/v1/kv/[namespace]/route";
import { GET as policyGet } from "@/app/api/v1/policy/route";
import { POST as taskEvent } from "@/app/api/v1/tasks/[id]/events/route";
import { GET as taskGet } from "@/app/api/v1/tasks/[id]/route";
import { GET as taskList, POST as taskCreate } from "@/app/api/v1/tasks/route";
import type { FetchLike } from "@/sdk";

type Handler = (request: Request, context: { params: Promise<Record<string, string>> }) => Promise<Response>;

/** The app's own route table for /api/v1, as the Next router would resolve it. */
const ROUTES: {
  pattern: RegExp;
  methods: Record<string, Handler>;
  params?: (m: RegExpMatchArray) => Record<string, string>;
}[] = [
  { pattern: /^\/api\/v1\/policy$/, methods: { GET: policyGet } },
  { pattern: /^\/api\/v1\/kv\/[^/]+\/[^/]+$/, methods: { GET: kvGet, PUT: kvPut, DELETE: kvDelete } },
  { pattern: /^\/api\/v1\/kv\/[^/]+$/, methods: { GET: kvList } },
  { pattern: /^\/api\/v1\/tasks$/, methods: { GET: taskList, POST: taskCreate } },
  {
    pattern: /^\/api\/v1\/tasks\/([^/]+)$/,
    methods: { GET: taskGet },
    params: (m) => ({ id: decodeURIComponent(m[1]!) }),
  },
  {
    pattern: /^\/api\/v1\/tasks\/([^/]+)\/events$/,
    methods: { POST: taskEvent },
    params: (m) => ({ id: decodeURIComponent(m[1]!) }),
  },
];

/**
 * A `fetch` that hands each request to the real route handlers — the real
 * wrapper, services and database, without an HTTP hop. Give it to the SDK as
 * `new BaseKV({ fetch: routeFetch, … })`.
 */
export const routeFetch: FetchLike = async (input, init) => {
  const request = new Request(input, init);
  const path = new URL(request.url).pathname;
  for (const route of ROUTES) {
    const match = path.match(route.pattern);
    if (!match) continue;
    const handler = route.methods[request.method];
    if (!handler) break;
    return handler(request, { params: Promise.resolve(route.params?.(match) ?? {}) });
  }
  return catchAll(request);
};

/** The same route table behind a real HTTP listener on 127.0.0.1, for processes (the example agent) that speak HTTP. */
export async function startApiServer(): Promise<{ url: string; server: Server; close: () => Promise<void> }> {
  const server = createServer(async (req, res) => {
    try {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      const headers = new Headers();
      for (const [name, value] of Object.entries(req.headers)) {
        if (typeof value === "string") headers.set(name, value);
        else if (Array.isArray(value)) for (const v of value) headers.append(name, v);
      }
      const body = chunks.length ? Buffer.concat(chunks) : undefined;
      const response = await routeFetch(`http://127.0.0.1${req.url}`, {
        method: req.method,
        headers,
        body: req.method === "GET" || req.method === "HEAD" ? undefined : body,
      });
      res.writeHead(response.status, Object.fromEntries(response.headers));
      res.end(Buffer.from(await response.arrayBuffer()));
    } catch (error) {
      res.writeHead(500, { "Content-Type": "text/plain" });
      res.end(String(error));
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
