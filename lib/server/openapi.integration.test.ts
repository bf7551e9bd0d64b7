import { Validator } from "@seriousme/openapi-schema-validator";
import { describe, expect, it } from "vitest";
import { GET as openApiRoute } from "@/app/api/v1/openapi.json/route";
import { DELETE as deleteKv, GET as getKv, PUT as putKv } from "@/app/api/v1/kv/[namespace]/[key]/route";
import { GET as listKv } from "@/app/api/v1/kv/[namespace]/route";
import { GET as getPolicy } from "@/app/api/v1/policy/route";
import { POST as sendEvent } from "@/app/api/v1/tasks/[id]/events/route";
import { GET as getTask } from "@/app/api/v1/tasks/[id]/route";
import { GET as listTasks, POST as createTask } from "@/app/api/v1/tasks/route";
import { ERROR_STATUS } from "@/lib/core/errors";
import { generateKey } from "@/lib/core/keys";
import { AGENT_ERROR_CODES, policyResponseSchema } from "@/lib/validations/agent-api";
import { agentRequest, seedAgent } from "@/tests/agent-fixtures";
import { testActor } from "@/tests/fixtures";
import { OpenApiResponseChecker, toCheckable } from "@/tests/openapi-response";
import { openApiDocument } from "./openapi";
import { updateWorkspace } from "./workspaces/update-workspace";

type Route = (r: Request, c: { params: Promise<Record<string, string>> }) => Promise<Response>;

const doc = openApiDocument();
const checker = new OpenApiResponseChecker(doc);

/** Calls a route handler like the server would, and fails on any response the document does not describe. */
async function call(
  route: Route,
  method: string,
  path: string,
  key: string | null,
  options: { body?: unknown; headers?: Record<string, string>; params?: Record<string, string> } = {},
) {
  const headers = { ...options.headers };
  let body: string | undefined;
  if (options.body !== undefined) {
    body = typeof options.body === "string" ? options.body : JSON.stringify(options.body);
    headers["Content-Type"] = "application/json";
  }
  const response = await route(agentRequest(path, key, { method, headers, body }), {
    params: Promise.resolve(options.params ?? {}),
  });
  const problems = checker.check(await toCheckable(method, path, response));
  expect(problems, `${method} ${path}`).toEqual([]);
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : null };
}

describe("the OpenAPI document", () => {
  it("is a valid OpenAPI 3.1 document, served at /api/v1/openapi.json", async () => {
    const response = openApiRoute();
    expect(response.status).toBe(200);
    const served = await response.json();
    expect(served).toEqual(JSON.parse(JSON.stringify(doc)));
    const result = await new Validator().validate(served);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(served.openapi).toBe("3.1.0");
  });

  it("documents every endpoint of API.md", () => {
    const operations = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`),
    );
    expect(operations.sort()).toEqual(
      [
        "GET /api/v1/policy",
        "GET /api/v1/kv/{namespace}",
        "GET /api/v1/kv/{namespace}/{key}",
        "PUT /api/v1/kv/{namespace}/{key}",
        "DELETE /api/v1/kv/{namespace}/{key}",
        "POST /api/v1/tasks",
        "GET /api/v1/tasks",
        "GET /api/v1/tasks/{id}",
        "POST /api/v1/tasks/{id}/events",
        "POST /api/v1/actions",
        "GET /api/v1/actions/{id}",
        "POST /api/v1/actions/{id}/complete",
        "POST /api/v1/actions/{id}/cancel",
        "GET /api/health",
        "GET /api/v1/openapi.json",
        "GET /api/metrics",
      ].sort(),
    );
  });

  it("describes each `{name}` of a path template as that operation's path parameter, and no other", () => {
    for (const [path, ops] of Object.entries(doc.paths)) {
      const template = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]).sort();
      for (const [method, op] of Object.entries(ops)) {
        const inPath = op.parameters
          .map((p) => doc.components.parameters[p.$ref.split("/").pop()!]!)
          .filter((p) => p.in === "path");
        expect(inPath.map((p) => p.name).sort(), `${method} ${path}`).toEqual(template);
        for (const p of inPath) expect(p.required, `${method} ${path} {${p.name}}`).toBe(true);
      }
    }
  });

  it("answers every error code of API.md with the status of lib/core/errors.ts", () => {
    const seen = new Map<string, number>();
    for (const ops of Object.values(doc.paths)) {
      for (const op of Object.values(ops)) {
        for (const [status, response] of Object.entries(op.responses)) {
          for (const code of response["x-error-codes"] ?? []) seen.set(code, Number(status));
        }
      }
    }
    // A 405 is a path's answer to a method it has no operation for, so no operation lists it: the document says it once.
    for (const code of AGENT_ERROR_CODES.filter((c) => c !== "method_not_allowed"))
      expect(seen.get(code), code).toBe(ERROR_STATUS[code]);
    expect(seen.has("method_not_allowed")).toBe(false);
    expect(doc.info.description).toContain("405 `method_not_allowed` (schema `Error405`) with `Allow`");
    expect(doc.components.schemas.Error405).toBeDefined();
    for (const [status, schema] of Object.entries(doc.components.schemas).filter(([id]) => id.startsWith("Error"))) {
      const codes = (schema as { properties: { error: { properties: { code: { enum: string[] } } } } }).properties.error
        .properties.code.enum;
      for (const code of codes) expect(`Error${ERROR_STATUS[code as keyof typeof ERROR_STATUS]}`).toBe(status);
    }
  });

  it("documents the request headers of API.md on the operations that honour them", () => {
    const put = doc.paths["/api/v1/kv/{namespace}/{key}"]!.put!;
    const names = put.parameters.map((p) => doc.components.parameters[p.$ref.split("/").pop()!]!.name);
    expect(names).toEqual(
      expect.arrayContaining([
        "If-Match",
        "If-None-Match",
        "Idempotency-Key",
        "X-Correlation-Id",
        "X-Reason",
        "X-Priority",
      ]),
    );
    const headers = Object.keys(put.responses["201"]!.headers!);
    expect(headers).toEqual(
      expect.arrayContaining([
        "X-Request-Id",
        "X-Correlation-Id",
        "X-Guardrail-Mode",
        "RateLimit-Limit",
        "RateLimit-Remaining",
        "RateLimit-Reset",
        "Idempotent-Replayed",
        "ETag",
      ]),
    );
    expect(Object.keys(put.responses["429"]!.headers!)).toContain("Retry-After");
    expect(doc.components.schemas.PutKvBody).toMatchObject({ required: ["value"], additionalProperties: false });
  });
});

describe("every agent endpoint answers as the document says", () => {
  it("the checker catches drift: an extra field, a missing field, an undocumented status", () => {
    const ok = { namespace: "a", key: "k", version: 1, expiresAt: null };
    const base = {
      method: "PUT",
      url: "/api/v1/kv/a/k",
      status: 201,
      headers: { "content-type": "application/json", "x-request-id": "req_1", "x-correlation-id": "c" },
    };
    expect(checker.check({ ...base, bodyText: JSON.stringify(ok) })).toEqual([]);
    expect(checker.check({ ...base, bodyText: JSON.stringify({ ...ok, secret: 1 }) })).toHaveLength(1);
    expect(checker.check({ ...base, bodyText: JSON.stringify({ ...ok, version: undefined }) })).toHaveLength(1);
    expect(checker.check({ ...base, status: 418, bodyText: "{}" })[0]).toContain("status not documented");
    expect(
      checker.check({ ...base, headers: { "content-type": "application/json" }, bodyText: JSON.stringify(ok) }),
    ).toHaveLength(2);
  });

  it("policy, KV and tasks: successes and refusals all match their documented responses", async () => {
    const agent = await seedAgent();
    const k = agent.key;
    const policy = await call(getPolicy, "GET", "/api/v1/policy", k, { headers: { "X-Correlation-Id": "doc-1" } });
    expect(policy.status).toBe(200);
    expect(policyResponseSchema.parse(policy.body)).toBeTruthy();

    const path = "/api/v1/kv/billing.runs/invoice-1";
    expect((await call(putKv, "PUT", path, k, { body: { value: { total: 1 } } })).status).toBe(201);
    expect((await call(putKv, "PUT", path, k, { body: { value: 2 }, headers: { "If-Match": '"1"' } })).status).toBe(
      200,
    );
    expect((await call(putKv, "PUT", path, k, { body: { value: 3 }, headers: { "If-Match": '"1"' } })).status).toBe(
      412,
    );
    const replay = { body: { value: 4 }, headers: { "Idempotency-Key": "doc-idem-1" } };
    await call(putKv, "PUT", path, k, replay);
    const replayed = await call(putKv, "PUT", path, k, replay);
    expect(replayed.headers.get("Idempotent-Replayed")).toBe("true");
    expect((await call(putKv, "PUT", path, k, { body: { value: 5, extra: 1 } })).status).toBe(422);
    expect((await call(putKv, "PUT", path, k, { body: "{oops" })).status).toBe(400);
    expect((await call(putKv, "PUT", "/api/v1/kv/hr.salaries/x", k, { body: { value: 1 } })).status).toBe(403);
    expect((await call(getKv, "GET", path, k)).status).toBe(200);
    expect((await call(getKv, "GET", "/api/v1/kv/billing.runs/absent", k)).status).toBe(404);
    expect((await call(getKv, "GET", "/api/v1/kv/billing.other/absent", k)).status).toBe(404);
    expect((await call(listKv, "GET", "/api/v1/kv/billing.runs?limit=1", k)).status).toBe(200);
    expect((await call(listKv, "GET", "/api/v1/kv/billing.runs?limit=0", k)).status).toBe(400);
    expect((await call(deleteKv, "DELETE", path, k)).status).toBe(200);
    expect((await call(deleteKv, "DELETE", path, k)).status).toBe(404);

    const created = await call(createTask, "POST", "/api/v1/tasks", k, {
      body: { namespace: "billing.runs", input: { n: 1 } },
    });
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    const events = `/api/v1/tasks/${id}/events`;
    const event = (body: unknown, headers?: Record<string, string>) =>
      call(sendEvent, "POST", events, k, { body, headers, params: { id } });
    expect((await event({ type: "started" })).status).toBe(200);
    expect((await event({ type: "step_completed", step: "fetch", checkpoint: { page: 2 } })).status).toBe(200);
    expect((await event({ type: "step_failed", error: { type: "io", message: "503" } })).status).toBe(200);
    expect((await event({ type: "committed" })).status).toBe(409);
    expect((await event({ type: "started" }, { "If-Match": '"1"' })).status).toBe(412);
    expect((await event({ type: "step_completed" })).status).toBe(422);
    const task = await call(getTask, "GET", `/api/v1/tasks/${id}`, k, { params: { id } });
    expect(task.body.events).toHaveLength(4);
    expect(
      (
        await call(getTask, "GET", "/api/v1/tasks/task_0000000000000000", k, {
          params: { id: "task_0000000000000000" },
        })
      ).status,
    ).toBe(404);
    expect((await call(listTasks, "GET", "/api/v1/tasks?status=retry_scheduled", k)).body.items).toHaveLength(1);
    expect((await call(listTasks, "GET", "/api/v1/tasks?status=nope", k)).status).toBe(400);
    expect((await call(createTask, "POST", "/api/v1/tasks", k, { body: { namespace: "hr.x" } })).status).toBe(403);
  });

  it("refusals before authentication (401), bad headers (400) and budgets (429) match too", async () => {
    expect((await call(getPolicy, "GET", "/api/v1/policy", null)).status).toBe(401);
    expect((await call(getPolicy, "GET", "/api/v1/policy", generateKey().key)).status).toBe(401);
    expect((await call(getKv, "GET", "/api/v1/kv/billing.runs/k", "bkv_nope")).status).toBe(401);
    expect((await call(getPolicy, "GET", "/api/v1/policy", null, { headers: { "X-Priority": "urgent" } })).status).toBe(
      400,
    );
    const agent = await seedAgent();
    await updateWorkspace({
      slug: agent.workspace.slug,
      actor: testActor,
      settings: { dailyRequestLimit: 2, stopMessage: "Spent." },
    });
    const path = "/api/v1/kv/billing.runs/budget";
    for (const value of [1, 2]) await call(putKv, "PUT", path, agent.key, { body: { value } });
    const stopped = await call(putKv, "PUT", path, agent.key, { body: { value: 3 } });
    expect(stopped).toMatchObject({ status: 429, body: { error: { code: "budget_exhausted" } } });
    expect(stopped.headers.get("Retry-After")).toBeTruthy();
    expect((await call(getPolicy, "GET", "/api/v1/policy", agent.key)).body.mode).toBe("stopped");
  });
});
