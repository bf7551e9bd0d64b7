import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { GET as catchAll } from "@/app/api/v1/[...path]/route";
import { DELETE as deleteKv, GET as getKv, PUT as putKv } from "@/app/api/v1/kv/[namespace]/[key]/route";
import { GET as listKv } from "@/app/api/v1/kv/[namespace]/route";
import { GET as getPolicy } from "@/app/api/v1/policy/route";
import { POST as requestActionRoute } from "@/app/api/v1/actions/route";
import { GET as getActionRoute } from "@/app/api/v1/actions/[id]/route";
import { POST as completeActionRoute } from "@/app/api/v1/actions/[id]/complete/route";
import { POST as cancelActionRoute } from "@/app/api/v1/actions/[id]/cancel/route";
import { POST as sendEvent } from "@/app/api/v1/tasks/[id]/events/route";
import { GET as getTask } from "@/app/api/v1/tasks/[id]/route";
import { GET as listTasks, POST as createTask } from "@/app/api/v1/tasks/route";
import { ERROR_STATUS } from "@/lib/core/errors";
import { AGENT_ERROR_CODES } from "@/lib/validations/agent-api";
import { agentRequest, seedAgent, seedRule } from "@/tests/agent-fixtures";
import { OpenApiResponseChecker, toCheckable } from "@/tests/openapi-response";
import { getDb } from "../db";
import { renderMetrics } from "../metrics";
import { openApiDocument } from "../openapi";

/**
 * Hostile input (issue #10): random and malformed bodies, headers, paths and
 * deeply nested JSON at every agent endpoint. Whatever arrives, the answer is
 * never a 500: it is a status the OpenAPI document lists for that operation,
 * with a documented code in the envelope `{ error: { code, message, requestId,
 * details } }`; a refused call writes nothing (kv_entry, task, task_event and
 * idempotency_record counted before and after — a refusal decided while
 * executing may store its own response under its Idempotency-Key, as API.md
 * says); and its audit rows are exactly the documented ones: one `denied` or
 * `conflict` event for a refusal, none for 400/404 (nothing was attempted).
 *
 * Header values are what an HTTP server can hand over: ByteStrings (code units
 * up to 0xFF, no NUL/CR/LF) — a value `new Request()` refuses never reaches it.
 */

type Route = (r: Request, c: { params: Promise<Record<string, string | string[]>> }) => Promise<Response>;
type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const RUNS = Number(process.env.HOSTILE_RUNS ?? 60);
const checker = new OpenApiResponseChecker(openApiDocument());
const REFUSAL_AUDITED: Record<string, "denied" | "conflict" | null> = {
  invalid_request: null,
  not_found: null,
  unauthorized: "denied",
  forbidden_namespace: "denied",
  payload_too_large: "denied",
  validation_failed: "denied",
  idempotency_key_reused: "denied",
  ttl_exceeds_policy: "denied",
  budget_exhausted: "denied",
  write_ceiling_reached: "denied",
  degraded_low_priority: "denied",
  // A denied action is committed with its own audit event (outcome denied); a rate limit is a refusal.
  action_denied: "denied",
  action_rate_limited: "denied",
  invalid_transition: "conflict",
  version_conflict: "conflict",
  idempotency_in_progress: "conflict",
};

let agent: Awaited<ReturnType<typeof seedAgent>>;
let taskId: string;
let actionId: string;
let counter = 0;
const unique = () => `${Date.now().toString(36)}-${counter++}`;

type Call = {
  route: Route;
  method: string;
  /** Path and query, as sent (the handlers parse the raw URL). */
  url: string;
  params?: Record<string, string>;
  headers?: Record<string, string>;
  body?: string | Uint8Array;
  key?: string | null;
  /** The operation's documented path, when `url` is a hostile one the router would have sent here. */
  checkAs?: string;
};

/** Builds the request, or null when the Fetch API itself refuses it (it could not reach the server). */
function build(call: Call): Request | null {
  try {
    return agentRequest(call.url, call.key === undefined ? agent.key : call.key, {
      method: call.method,
      headers: { ...call.headers },
      ...(call.body === undefined ? {} : { body: call.body as BodyInit }),
    });
  } catch {
    return null;
  }
}

async function counts() {
  const [row] = await getDb().$queryRaw<{ kv: bigint; task: bigint; ev: bigint; idem: bigint; act: bigint }[]>`
    SELECT (SELECT count(*) FROM kv_entry WHERE workspace_id = ${agent.workspace.id}) AS kv,
           (SELECT count(*) FROM task WHERE workspace_id = ${agent.workspace.id}) AS task,
           (SELECT count(*) FROM task_event e JOIN task t ON t.id = e.task_id
             WHERE t.workspace_id = ${agent.workspace.id}) AS ev,
           (SELECT count(*) FROM idempotency_record WHERE identity_id = ${agent.identity.id}) AS idem,
           (SELECT count(*) FROM action WHERE workspace_id = ${agent.workspace.id}) AS act`;
  return {
    kv: Number(row!.kv),
    task: Number(row!.task),
    ev: Number(row!.ev),
    idem: Number(row!.idem),
    act: Number(row!.act),
  };
}

async function unauditedRefusals(): Promise<number> {
  const text = (await renderMetrics()).body;
  return Number(/^basekv_agent_refusals_unaudited_total (\d+)/m.exec(text)?.[1] ?? 0);
}

/** Sends one hostile call and checks every promise above; returns the response for further checks. */
async function send(call: Call): Promise<{ status: number; body: Json } | null> {
  const request = build(call);
  if (!request) return null;
  const before = await counts();
  const unauditedBefore = await unauditedRefusals();
  const response = await call.route(request, { params: Promise.resolve(call.params ?? {}) });
  const checkable = await toCheckable(call.method, call.checkAs ?? call.url.split("?")[0]!, response);
  const text = await response.text();
  const label = `${call.method} ${call.url.slice(0, 200)} → ${response.status} ${text.slice(0, 300)}`;

  expect(response.status, label).not.toBe(500);
  // Documented for this operation, body and headers as the document says (undocumented paths: the 404 envelope).
  expect(checker.check(checkable), label).toEqual([]);
  if (response.status < 400) return { status: response.status, body: JSON.parse(text) as Json };

  expect(response.headers.get("content-type"), label).toContain("application/json");
  const body = JSON.parse(text) as Json;
  expect(Object.keys(body), label).toEqual(["error"]);
  expect(Object.keys(body.error).sort(), label).toEqual(["code", "details", "message", "requestId"]);
  expect(AGENT_ERROR_CODES, label).toContain(body.error.code);
  expect(ERROR_STATUS[body.error.code as keyof typeof ERROR_STATUS], label).toBe(response.status);
  expect(typeof body.error.message, label).toBe("string");
  expect(body.error.requestId, label).toMatch(/^req_/);
  expect(typeof body.error.details === "object" && body.error.details !== null, label).toBe(true);
  if (response.headers.get("idempotent-replayed") === "true") return { status: response.status, body };
  expect(response.headers.get("x-request-id"), label).toBe(body.error.requestId);

  // Nothing written: the only possible change is this refusal stored under its Idempotency-Key.
  const after = await counts();
  expect({ ...after, idem: 0, act: 0 }, label).toEqual({ ...before, idem: 0, act: 0 });
  // A denied action is kept (API.md): the one row a refusal may add.
  expect(after.act - before.act, label).toBe(body.error.code === "action_denied" ? 1 : 0);
  const idempotencyKey = request.headers.get("idempotency-key");
  if (after.idem !== before.idem) {
    expect(after.idem - before.idem, label).toBe(1);
    const stored = await getDb().idempotencyRecord.findUnique({
      where: { identityId_key: { identityId: agent.identity.id, key: idempotencyKey ?? "" } },
      select: { responseStatus: true },
    });
    expect(stored?.responseStatus, label).toBe(response.status);
  }
  const audited = await getDb().auditEvent.findMany({
    where: { requestId: body.error.requestId },
    select: { outcome: true, workspaceId: true },
  });
  const expected = REFUSAL_AUDITED[body.error.code as string];
  // The refusal is audited in the caller's workspace once its key is known (never for a bad key).
  const workspaceId = body.error.code === "unauthorized" ? null : agent.workspace.id;
  // Refusals before the key is known are audited up to a ration per client address and minute
  // (security.integration.test.ts); one left out is counted in the metric instead.
  const rationed = body.error.code === "unauthorized" && (await unauditedRefusals()) === unauditedBefore + 1;
  expect(audited, label).toEqual(expected && !rationed ? [{ outcome: expected, workspaceId }] : []);
  return { status: response.status, body };
}

// ---- generators ------------------------------------------------------------

const byteChar = fc
  .integer({ min: 1, max: 0xff })
  .filter((c) => c !== 10 && c !== 13)
  .map((c) => String.fromCharCode(c));
/** Header values a server can receive: ASCII, Latin-1 bytes (UTF-8 arriving as bytes), huge, percent-escapes. */
const headerValue = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: byteChar, maxLength: 60 }),
  fc.constantFrom(
    "",
    " ",
    "*",
    '"1"',
    "1",
    'W/"1"',
    '"0"',
    "-1",
    "99999999999999999999",
    '"2147483648"',
    "*, *",
    "low",
    "normal",
    "LOW",
    "%00",
    "a%00b",
    "%ff%fe",
    "%ED%A0%80",
    "%E9t%C3%A9",
    "%",
    "\t",
    "Ã©tÃ©",
    "\u00ff\u00fe",
  ),
  fc.integer({ min: 100, max: 20_000 }).map((n) => "x".repeat(n)),
  fc.integer({ min: 50, max: 5_000 }).map((n) => "\u00e9".repeat(n)),
);
const HOSTILE_HEADERS = ["If-Match", "If-None-Match", "Idempotency-Key", "X-Priority", "X-Correlation-Id", "X-Reason"];
/** Unique Idempotency-Keys, so one run's key is never another's (a replay would answer the first). */
const withUniqueKey = (pairs: readonly (readonly [string, string])[]) =>
  Object.fromEntries(pairs.map(([n, v]) => [n, n === "Idempotency-Key" ? `${v}${unique()}` : v]));
/** One hostile header alone (so no other header's 400 hides what it does), or several at once. */
const hostileHeaders = fc.oneof(
  fc.tuple(fc.constantFrom(...HOSTILE_HEADERS), headerValue).map(([n, v]) => withUniqueKey([[n, v]])),
  fc
    .subarray(HOSTILE_HEADERS, { minLength: 2 })
    .chain((names) => fc.tuple(...names.map((n) => headerValue.map((v) => [n, v] as const))))
    .map(withUniqueKey),
);
/** Headers that once got a 500 (kept as fixed examples). */
const HEADER_EXAMPLES: [Record<string, string>][] = [[{ "X-Reason": "a%00b" }], [{ "X-Reason": "%00" }]];

const hostileNumber = fc.oneof(
  fc.constantFrom(0, -1, 1.5, 2 ** 53, 1e308, -0, 86_400, 315_360_001),
  fc.constantFrom("1", null, true, [], {}),
);
const nulString = fc.constantFrom("\u0000", "a\u0000b", "\ud800", "\udfff", "x\ud83d", "é\u0000");
const anyString = fc.oneof(fc.string({ maxLength: 30 }), fc.string({ unit: "binary", maxLength: 30 }), nulString);

function nest(depth: number, leaf: unknown, kind: "array" | "object"): string {
  const open = kind === "array" ? "[" : '{"a":';
  const close = kind === "array" ? "]" : "}";
  return open.repeat(depth) + JSON.stringify(leaf) + close.repeat(depth);
}
/** JSON text nested `depth` levels deep, as a raw string (JSON.stringify itself would overflow first). */
const deepJson = fc
  .tuple(
    fc.constantFrom(99, 100, 101, 1_000, 10_000, 100_000),
    fc.constantFrom("array", "object") as fc.Arbitrary<"array" | "object">,
  )
  .map(([depth, kind]) => nest(depth, 1, kind));

/** JSON-ish text (valid or not) for a body whose fields are `fields`. */
function bodyOf(fields: Record<string, fc.Arbitrary<unknown>>): fc.Arbitrary<string | Uint8Array> {
  const structured = fc
    .record(Object.fromEntries(Object.entries(fields).map(([k, a]) => [k, a])), { requiredKeys: [] })
    .chain((obj) =>
      fc
        .tuple(fc.constantFrom(...Object.keys(fields), "extra"), deepJson, fc.boolean())
        .map(([field, deep, useDeep]) => {
          if (!useDeep) return JSON.stringify(obj);
          // A deeply nested value in one field, the other fields as generated.
          const others = Object.entries(obj)
            .filter(([k]) => k !== field)
            .map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`);
          return `{${[`${JSON.stringify(field)}:${deep}`, ...others].join(",")}}`;
        }),
    );
  return fc.oneof(
    structured,
    fc.jsonValue().map((v) => JSON.stringify(v)),
    fc.string({ maxLength: 80 }),
    fc.constantFrom("", "{", "}", "null", "[]", '{"value":}', "{'value':1}", '{"value":1,}', "\ufeff{}", "NaN"),
    fc.constantFrom('{"value":"\\ud800"}', '{"value":"\\u0000"}', '{"value":{"\\u0000":1}}', '{"__proto__":{"x":1}}'),
    fc.uint8Array({ maxLength: 64 }), // mostly invalid UTF-8
    deepJson,
  );
}

const jsonish = fc.oneof(fc.jsonValue({ maxDepth: 3 }), nulString, anyString);
const putBody = bodyOf({ value: jsonish, ttlSeconds: hostileNumber });
const createBody = bodyOf({
  namespace: fc.oneof(anyString, fc.constant("billing.runs")),
  input: jsonish,
  correlationId: anyString,
});
const usdish = fc.oneof(
  fc.double({ noNaN: false }),
  fc.constantFrom(0, 1, 12.5, 0.000001, 0.0000001, -1, 1e9, 1e10),
  anyString,
  jsonish,
);
const actionBody = bodyOf({
  action: fc.oneof(anyString, fc.constantFrom("payments.refund", "email.send", "payments", "*")),
  summary: anyString,
  resource: anyString,
  arguments: jsonish,
  estimate: fc.oneof(fc.record({ usd: usdish, tokens: fc.oneof(fc.integer(), usdish) }, { requiredKeys: [] }), jsonish),
  taskId: fc.oneof(anyString, fc.constant("task_0000000000000000")),
});
const completeBody = bodyOf({
  outcome: fc.oneof(fc.constantFrom("succeeded", "failed"), anyString),
  actual: fc.oneof(fc.record({ usd: usdish, tokens: usdish }, { requiredKeys: [] }), jsonish),
  result: jsonish,
  error: fc.oneof(fc.record({ type: anyString, message: anyString }, { requiredKeys: [] }), jsonish),
});
const eventBody = bodyOf({
  type: fc.oneof(
    fc.constantFrom("started", "heartbeat", "step_completed", "step_failed", "committed", "escalate"),
    anyString,
  ),
  step: anyString,
  output: jsonish,
  checkpoint: jsonish,
  error: fc.oneof(
    fc.record(
      { type: anyString, message: anyString, retryable: fc.oneof(fc.boolean(), jsonish) },
      { requiredKeys: [] },
    ),
    jsonish,
  ),
  reason: anyString,
});

/** One path segment as it may arrive: dot segments (plain and encoded), NUL, huge, bad percent-encoding, Unicode. */
const segment = fc.oneof(
  fc.constantFrom(
    "..",
    ".",
    "%2e%2e",
    "%2E%2E",
    "%2e",
    ".%2e",
    "%00",
    "a%00b",
    "\u0000",
    "%",
    "%zz",
    "%c3%28",
    "%ff",
    "%ED%A0%80",
    "%F0%9F%98",
    "a%2Fb",
    "%2F",
    "%5C",
    "",
    "billing.runs",
    "billing.runs.",
    "billing..runs",
    "Billing.Runs",
    "secret.stuff",
    "*",
    "%2A",
    "é",
    "%C3%A9",
    "😀",
    "a b",
    "task_0000000000000000",
    "task_ZZZZZZZZZZZZZZZZ",
  ),
  fc.string({ maxLength: 30 }).map(encodeURIComponent),
  fc.string({ unit: "binary", maxLength: 30 }).map(encodeURIComponent),
  fc.integer({ min: 129, max: 20_000 }).map((n) => "k".repeat(n)),
  fc.integer({ min: 100, max: 3_000 }).map((n) => "%C3%A9".repeat(n)),
);
/** Next's router hands handlers decoded params; a segment it cannot decode arrives as it is. */
const decoded = (s: string) => {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
};

const query = fc
  .array(
    fc.tuple(
      fc.constantFrom("prefix", "limit", "cursor", "status", "due", "x"),
      fc.oneof(segment, fc.constantFrom("0", "1", "1000", "1001", "-1", "1e3", "true", "running", "%00")),
    ),
    { maxLength: 4 },
  )
  .map((pairs) => (pairs.length ? `?${pairs.map(([k, v]) => `${k}=${v}`).join("&")}` : ""));

// ---- the endpoints ---------------------------------------------------------

type Endpoint = {
  name: string;
  route: Route;
  method: string;
  url: () => string;
  params?: () => Record<string, string>;
  /** A valid body, when not the method's (VALID_BODY). */
  body?: () => string;
};
const ENDPOINTS: Endpoint[] = [
  { name: "GET /policy", route: getPolicy, method: "GET", url: () => "/api/v1/policy" },
  { name: "GET /kv/{ns}/{key}", route: getKv, method: "GET", url: () => "/api/v1/kv/billing.runs/present" },
  { name: "PUT /kv/{ns}/{key}", route: putKv, method: "PUT", url: () => `/api/v1/kv/billing.runs/h-${unique()}` },
  { name: "DELETE /kv/{ns}/{key}", route: deleteKv, method: "DELETE", url: () => "/api/v1/kv/billing.runs/present" },
  { name: "GET /kv/{ns}", route: listKv, method: "GET", url: () => "/api/v1/kv/billing.runs" },
  { name: "POST /tasks", route: createTask, method: "POST", url: () => "/api/v1/tasks" },
  {
    name: "GET /tasks/{id}",
    route: getTask,
    method: "GET",
    url: () => `/api/v1/tasks/${taskId}`,
    params: () => ({ id: taskId }),
  },
  {
    name: "POST /tasks/{id}/events",
    route: sendEvent,
    method: "POST",
    url: () => `/api/v1/tasks/${taskId}/events`,
    params: () => ({ id: taskId }),
  },
  { name: "GET /tasks", route: listTasks, method: "GET", url: () => "/api/v1/tasks" },
  {
    name: "POST /actions",
    route: requestActionRoute,
    method: "POST",
    url: () => "/api/v1/actions",
    body: () => ACTION_BODY,
  },
  {
    name: "GET /actions/{id}",
    route: getActionRoute,
    method: "GET",
    url: () => `/api/v1/actions/${actionId}`,
    params: () => ({ id: actionId }),
  },
  {
    name: "POST /actions/{id}/complete",
    route: completeActionRoute,
    method: "POST",
    url: () => `/api/v1/actions/${actionId}/complete`,
    params: () => ({ id: actionId }),
    body: () => '{"outcome":"succeeded"}',
  },
  {
    name: "POST /actions/{id}/cancel",
    route: cancelActionRoute,
    method: "POST",
    url: () => `/api/v1/actions/${actionId}/cancel`,
    params: () => ({ id: actionId }),
    body: () => "",
  },
];
const ACTION_BODY = JSON.stringify({ action: "payments.refund", arguments: { order: 1 }, estimate: { usd: 1 } });
const VALID_BODY: Record<string, string> = {
  PUT: JSON.stringify({ value: { n: 1 } }),
  POST: JSON.stringify({ namespace: "billing.runs", input: {} }),
};

beforeAll(async () => {
  agent = await seedAgent();
  const put = await putKv(
    agentRequest("/api/v1/kv/billing.runs/present", agent.key, { method: "PUT", body: VALID_BODY.PUT }),
    { params: Promise.resolve({}) },
  );
  expect(put.status).toBe(201);
  const created = await createTask(
    agentRequest("/api/v1/tasks", agent.key, { method: "POST", body: VALID_BODY.POST }),
    {
      params: Promise.resolve({}),
    },
  );
  taskId = ((await created.json()) as { id: string }).id;
  // Refunds are allowed (valid action bodies are admitted), emails denied (the default).
  await seedRule(agent, { name: "refunds", action: "payments.*", effect: "allow" });
  const asked = await requestActionRoute(
    agentRequest("/api/v1/actions", agent.key, { method: "POST", body: ACTION_BODY }),
    { params: Promise.resolve({}) },
  );
  expect(asked.status).toBe(201);
  actionId = ((await asked.json()) as { id: string }).id;
});

const property = { numRuns: RUNS, endOnFailure: true };
/** Bodies that once got a 500 (kept as fixed examples, run before the random ones). */
const DEEP = (field: string) => `{${JSON.stringify(field)}:${nest(100_000, 1, "array")}}`;
const PUT_EXAMPLES = [DEEP("value"), '{"value":"\\ud800"}', '{"value":{"\\udc00":1}}', DEEP("x")];
const CREATE_EXAMPLES = [
  `{"namespace":"billing.runs","input":${nest(100_000, 1, "object")}}`,
  '{"namespace":"billing.runs","input":"\\ud800"}',
  '{"namespace":"billing.runs\\u0000"}',
  '{"namespace":"billing.runs","correlationId":"a\\u0000"}',
];
const EVENT_EXAMPLES = [
  '{"type":"step_completed","step":"a\\u0000"}',
  '{"type":"step_completed","step":"\\ud800"}',
  '{"type":"step_completed","step":"s","checkpoint":"\\ud800"}',
  '{"type":"step_failed","error":{"type":"x\\u0000","message":"m"}}',
  '{"type":"step_failed","error":{"type":"x","message":"\\ud800"}}',
  '{"type":"escalate","reason":"\\u0000"}',
  '{"type":"committed","output":"\\ud800"}',
  DEEP("output"),
];

describe("hostile input never gets a 500, always a documented error, and a refusal changes nothing", () => {
  for (const endpoint of ENDPOINTS) {
    it(`${endpoint.name}: hostile If-Match, If-None-Match, Idempotency-Key, X-Priority, X-Correlation-Id, X-Reason`, async () => {
      await fc.assert(
        fc.asyncProperty(hostileHeaders, async (headers) => {
          await send({
            route: endpoint.route,
            method: endpoint.method,
            url: endpoint.url(),
            params: endpoint.params?.(),
            headers: endpoint.method === "GET" ? headers : { ...headers, "Content-Type": "application/json" },
            body:
              endpoint.body?.() ??
              (endpoint.method === "DELETE" || endpoint.method === "GET" ? undefined : VALID_BODY[endpoint.method]),
          });
        }),
        { ...property, examples: HEADER_EXAMPLES },
      );
    });
  }

  it("every endpoint: a hostile Authorization header is 401 unauthorized (or 400 for a bad header), audited", async () => {
    const authorization = fc.oneof(
      headerValue,
      headerValue.map((v) => `Bearer ${v}`),
      fc.constantFrom(
        "Bearer",
        "Bearer ",
        "bearer bkv_",
        "Basic YTpi",
        `Bearer bkv_${"A".repeat(43)}`,
        "Bearer bkv_\u00e9",
      ),
    );
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...ENDPOINTS), authorization, async (endpoint, value) => {
        const result = await send({
          route: endpoint.route,
          method: endpoint.method,
          url: endpoint.url(),
          params: endpoint.params?.(),
          key: null,
          headers: { Authorization: value },
          body:
            endpoint.body?.() ??
            (endpoint.method === "PUT" || endpoint.method === "POST" ? VALID_BODY[endpoint.method] : undefined),
        });
        if (result) expect(result.status).toBe(401);
      }),
      property,
    );
  });

  it("PUT /kv: random, malformed, invalid UTF-8 and deeply nested bodies", async () => {
    await fc.assert(
      fc.asyncProperty(putBody, fc.option(hostileHeaders, { nil: undefined }), async (body, headers) => {
        await send({
          route: putKv,
          method: "PUT",
          url: `/api/v1/kv/billing.runs/b-${unique()}`,
          headers: { "Content-Type": "application/json", ...headers },
          body,
        });
      }),
      { ...property, examples: PUT_EXAMPLES.map((b) => [b, undefined] as [string, undefined]) },
    );
  });

  it("POST /actions: random, malformed and deeply nested bodies (allowed, denied or refused — never a 500)", async () => {
    await fc.assert(
      fc.asyncProperty(actionBody, fc.option(hostileHeaders, { nil: undefined }), async (body, headers) => {
        await send({ route: requestActionRoute, method: "POST", url: "/api/v1/actions", headers, body });
      }),
      property,
    );
  });

  it("POST /actions/{id}/complete: random, malformed and deeply nested bodies", async () => {
    await fc.assert(
      fc.asyncProperty(completeBody, async (body) => {
        // A fresh allowed action now and then, so a valid body can complete one.
        if (counter % 5 === 0) {
          const asked = await requestActionRoute(
            agentRequest("/api/v1/actions", agent.key, { method: "POST", body: ACTION_BODY }),
            { params: Promise.resolve({}) },
          );
          actionId = ((await asked.json()) as { id: string }).id;
        }
        await send({
          route: completeActionRoute,
          method: "POST",
          url: `/api/v1/actions/${actionId}/complete`,
          params: { id: actionId },
          body,
        });
      }),
      property,
    );
  });

  it("POST /tasks: random, malformed and deeply nested bodies", async () => {
    await fc.assert(
      fc.asyncProperty(createBody, async (body) => {
        await send({ route: createTask, method: "POST", url: "/api/v1/tasks", body });
      }),
      { ...property, examples: CREATE_EXAMPLES.map((b) => [b] as [string]) },
    );
  });

  it("POST /tasks/{id}/events: random, malformed and deeply nested bodies", async () => {
    await fc.assert(
      fc.asyncProperty(eventBody, fc.option(hostileHeaders, { nil: undefined }), async (body, headers) => {
        // A fresh task now and then, so events that move it meet more than one state.
        if (counter % 7 === 0) {
          const created = await createTask(
            agentRequest("/api/v1/tasks", agent.key, { method: "POST", body: VALID_BODY.POST }),
            { params: Promise.resolve({}) },
          );
          taskId = ((await created.json()) as { id: string }).id;
        }
        await send({
          route: sendEvent,
          method: "POST",
          url: `/api/v1/tasks/${taskId}/events`,
          params: { id: taskId },
          headers,
          body,
        });
      }),
      property,
    );
  });

  it("POST /tasks/{id}/events on a running task: NUL, unpaired surrogates and deep nesting in every field are 422", async () => {
    for (const body of EVENT_EXAMPLES) {
      const created = await createTask(
        agentRequest("/api/v1/tasks", agent.key, { method: "POST", body: VALID_BODY.POST }),
        { params: Promise.resolve({}) },
      );
      const id = ((await created.json()) as { id: string }).id;
      const started = await send({
        route: sendEvent,
        method: "POST",
        url: `/api/v1/tasks/${id}/events`,
        params: { id },
        body: '{"type":"started"}',
      });
      expect(started?.status).toBe(200);
      const result = await send({
        route: sendEvent,
        method: "POST",
        url: `/api/v1/tasks/${id}/events`,
        params: { id },
        body,
      });
      expect(result?.status, body.slice(0, 80)).toBe(422);
    }
  });

  it("KV paths: dot segments, %2e%2e, NUL, %00, huge, invalid percent-encoding, extra and missing segments", async () => {
    const routes: [Route, string, number][] = [
      [getKv, "GET", 2],
      [putKv, "PUT", 2],
      [deleteKv, "DELETE", 2],
      [listKv, "GET", 1],
    ];
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...routes),
        fc.array(segment, { minLength: 0, maxLength: 3 }),
        query,
        async ([route, method, arity], segments, search) => {
          await send({
            route,
            method,
            url: `/api/v1/kv/${segments.join("/")}${search}`,
            checkAs: arity === 2 ? "/api/v1/kv/ns/key" : "/api/v1/kv/ns",
            params: {
              namespace: decoded(segments[0] ?? ""),
              ...(arity === 2 ? { key: decoded(segments[1] ?? "") } : {}),
            },
            headers: method === "PUT" ? { "Content-Type": "application/json" } : {},
            body: method === "PUT" ? VALID_BODY.PUT : undefined,
          });
        },
      ),
      property,
    );
  });

  it("task paths and list queries: hostile ids and query strings; unknown /api/v1 paths", async () => {
    await fc.assert(
      fc.asyncProperty(
        segment,
        query,
        fc.constantFrom("get", "event", "list", "unknown"),
        async (id, search, which) => {
          if (which === "list") {
            await send({ route: listTasks, method: "GET", url: `/api/v1/tasks${search}` });
          } else if (which === "unknown") {
            await send({
              route: catchAll as unknown as Route,
              method: "GET",
              url: `/api/v1/${id}/${id}${search}`,
              checkAs: "/api/v1/no/such/endpoint",
              params: {},
            });
          } else {
            await send({
              route: which === "get" ? getTask : sendEvent,
              method: which === "get" ? "GET" : "POST",
              url: `/api/v1/tasks/${id}${which === "event" ? "/events" : ""}${search}`,
              checkAs: which === "event" ? "/api/v1/tasks/id/events" : "/api/v1/tasks/id",
              params: { id: decoded(id) },
              body: which === "event" ? JSON.stringify({ type: "heartbeat" }) : undefined,
            });
          }
        },
      ),
      property,
    );
  });

  it("a body above 1 MiB is refused with 413 before it is read whole, and writes nothing", async () => {
    const huge = JSON.stringify({ value: "x".repeat(1024 * 1024 + 10) });
    for (const [route, method, url, params] of [
      [putKv, "PUT", `/api/v1/kv/billing.runs/big-${unique()}`, {}],
      [createTask, "POST", "/api/v1/tasks", {}],
      [sendEvent, "POST", `/api/v1/tasks/${taskId}/events`, { id: taskId }],
    ] as const) {
      const result = await send({ route, method, url, params, body: huge });
      expect(result?.status).toBe(413);
    }
  });
});
