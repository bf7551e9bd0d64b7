import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { fromWebRequest, toResponse } from "@/lib/server/agent-api/agent-route";
import { matchAgentRoute, notFoundReply, serveAgentRequest } from "@/lib/server/agent-api/agent-server";
import type { FetchLike } from "@/sdk";

/**
 * A `fetch` that hands each request to the real endpoints through the agent
 * API's route table — the real wrapper, services and database, without an HTTP
 * hop. Give it to the SDK as `new BaseKV({ fetch: routeFetch, … })`.
 */
export const routeFetch: FetchLike = async (input, init) => {
  const request = new Request(input, init);
  const url = new URL(request.url);
  const match = matchAgentRoute(request.method, url.pathname + url.search);
  const agentRequest = fromWebRequest(request);
  return toResponse(match ? await match.endpoint.serve(agentRequest, match.params) : notFoundReply(agentRequest));
};

/**
 * The agent API's own lane (the one the production server uses) behind a real
 * HTTP listener on 127.0.0.1, for processes (the example agent) that speak HTTP.
 */
export async function startApiServer(): Promise<{ url: string; server: Server; close: () => Promise<void> }> {
  const server = createServer((req, res) => {
    const match = matchAgentRoute(req.method ?? "GET", req.url ?? "/");
    if (match) return void serveAgentRequest(req, res, match);
    res.writeHead(404, { "Content-Type": "text/plain" }).end("not an agent API endpoint");
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
