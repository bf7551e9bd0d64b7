/**
 * The load generator of `npm run bench`, run as its own process so it does not
 * share an event loop with the server it measures. Reads a JSON job on argv,
 * prints autocannon's summary as JSON on stdout.
 */
import { randomBytes } from "node:crypto";
import autocannon from "autocannon";

type Job = {
  url: string;
  connections: number;
  duration?: number;
  amount?: number;
  /** ACTION: POST /api/v1/actions, then POST /api/v1/actions/{id}/complete with the id it answered (two requests per action). */
  method: "GET" | "PUT" | "ACTION";
  /** Keys to rotate through (one per workspace; an action's complete goes with its request's key), and PUT's namespace. */
  keys: string[];
  namespace?: string;
};

/** Every action's estimate and actual: far below any limit the bench sets, except the exactness case's (bench-spend.ts). */
const ACTION_COST = { usd: 0.001, tokens: 10 };

const job = JSON.parse(process.argv[2]!) as Job;
let n = 0;
const run = randomBytes(3).toString("hex");

type Context = { actionId?: string; key?: string };
const actionSequence = [
  {
    method: "POST" as const,
    path: "/api/v1/actions",
    setupRequest: (request: autocannon.Request, context: Context) => {
      const i = n++;
      context.key = job.keys[i % job.keys.length]!;
      request.headers = {
        ...request.headers,
        authorization: `Bearer ${context.key}`,
        "content-type": "application/json",
        "idempotency-key": `bench-act-${run}-${i}`,
      };
      request.body = JSON.stringify({
        action: "bench.tool.call",
        summary: `bench ${i}`,
        arguments: { i },
        estimate: ACTION_COST,
      });
      return request;
    },
    onResponse: (_status: number, body: string, context: Context) => {
      context.actionId = (JSON.parse(body) as { id?: string }).id;
    },
  },
  {
    method: "POST" as const,
    setupRequest: (request: autocannon.Request, context: Context) => {
      const i = n++;
      request.path = `/api/v1/actions/${context.actionId}/complete`;
      request.headers = {
        ...request.headers,
        // The request's key: over several workspaces, another key's complete would be a 404.
        authorization: `Bearer ${context.key!}`,
        "content-type": "application/json",
        "idempotency-key": `bench-done-${run}-${i}`,
      };
      request.body = JSON.stringify({ outcome: "succeeded", actual: ACTION_COST });
      return request;
    },
  },
];

const result = await autocannon({
  url: job.url,
  connections: job.connections,
  ...(job.amount ? { amount: job.amount } : { duration: job.duration ?? 10 }),
  ...(job.method === "ACTION" ? {} : { method: job.method }),
  requests:
    job.method === "ACTION"
      ? (actionSequence as autocannon.Request[])
      : [
          {
            setupRequest: (request) => {
              const i = n++;
              const key = job.keys[i % job.keys.length]!;
              request.headers = { ...request.headers, authorization: `Bearer ${key}` };
              if (job.method === "PUT") {
                request.path = `/api/v1/kv/${job.namespace}/bench-${run}-${i}`;
                request.headers["content-type"] = "application/json";
                request.headers["idempotency-key"] = `bench-${run}-${i}`;
                request.body = JSON.stringify({ value: { i, at: Date.now() } });
              }
              return request;
            },
          },
        ],
});

{
  const statuses: Record<string, number> = {};
  for (const [k, v] of Object.entries(result as unknown as Record<string, unknown>)) {
    const m = /^(\d)xx$/.exec(k);
    if (m && typeof v === "number") statuses[k] = v;
  }
  process.stdout.write(
    JSON.stringify({
      requests: result.requests.total,
      rps: result.requests.average,
      p50: result.latency.p50,
      p99: result.latency.p99,
      errors: result.errors + result.timeouts + result.non2xx,
      non2xx: result.non2xx,
      statuses,
      duration: result.duration,
    }),
  );
}
