import "server-only";
import type { z } from "zod";
import type { OperationDoc } from "../openapi";
import { agentRoute, type AgentEndpoint } from "./agent-route";
import {
  cancelActionBody,
  cancelActionHandler,
  completeActionBody,
  completeActionExpress,
  completeActionHandler,
  getActionHandler,
  requestActionBody,
  requestActionExpress,
  requestActionHandler,
} from "./action-handlers";
import { getPolicy } from "./get-policy";
import { deleteKvHandler, getKvHandler, listKvHandler, putKvBody, putKvExpress, putKvHandler } from "./kv-handlers";
import type { Handler } from "./route/run-handler";
import type { BodySpec, RouteOptions } from "./route/types";
import {
  createTaskBody,
  createTaskHandler,
  getTaskHandler,
  listTasksHandler,
  taskEventBody,
  taskEventHandler,
} from "./task-handlers";

type Params = Record<string, string | string[]>;
/**
 * agentRoute's options. `counted` and `mutating` are stated on every row: they are the contract's
 * facts (API.md) and the OpenAPI document reads them from here.
 */
type RowOptions = RouteOptions & { counted: boolean; mutating: boolean };
type RowRoute = { options: RowOptions; endpoint: AgentEndpoint<Record<string, string>> };

/** A row's options and the endpoint agentRoute builds from them with its handler (type-checked together). */
function route<P extends Params, S extends z.ZodType = z.ZodType>(
  options: RowOptions & { db: "sql"; body?: BodySpec<S> },
  handler: Handler<"sql", P, z.output<S>>,
): RowRoute;
function route<P extends Params, S extends z.ZodType = z.ZodType>(
  options: RowOptions & { db?: "prisma"; body?: BodySpec<S> },
  handler: Handler<"prisma", P, z.output<S>>,
): RowRoute;
function route(options: RowOptions, handler: Handler<"sql" | "prisma", Params, unknown>): RowRoute {
  const endpoint = agentRoute(options as RowOptions & { db?: "prisma" }, handler as Handler<"prisma", Params>);
  return { options, endpoint: endpoint as RowRoute["endpoint"] };
}

/** One row of the table: one method at one path. */
export type EndpointSpec = {
  method: "GET" | "POST" | "PUT" | "DELETE";
  /** The path template, as the OpenAPI document spells it; `{name}` is one raw path segment. */
  path: `/api/v1/${string}`;
  operationId: string;
  /** agentRoute's options, and the endpoint: the object the lane serves and the route file exports. */
  options: RowOptions;
  endpoint: AgentEndpoint<Record<string, string>>;
  /**
   * The path parameters the handler receives, percent-decoded (a malformed escape: the lane leaves the
   * request to Next.js, which refuses it). The others stay in the raw path, which the handler reads
   * itself — a KV key may contain `%2F`, which must not be decoded before the path is split (kv-handlers.ts).
   */
  params?: readonly string[];
  /** What the OpenAPI document says of the operation beyond the facts above (lib/server/openapi.ts). */
  openapi: OperationDoc;
};

/**
 * Every agent endpoint, once. From this table come the agent lane's router (agent-server.ts), the
 * methods the edge allows at these paths (http-edge.ts), the OpenAPI operations (openapi.ts), and the
 * Next.js route files under app/api/v1, which only re-export `endpointsFor(path)` — one wrapper, one
 * set of guardrails, whichever way a request comes in.
 *
 * To add an endpoint: add a row here (method, path template, operationId, `route(options, handler)`,
 * the path parameters it reads, its OpenAPI text), then the route file Next.js needs,
 * `app/api/v1/<path with [name] for {name}>/route.ts`:
 *
 *     export const dynamic = "force-dynamic";
 *     export const { GET, POST } = endpointsFor("/api/v1/…");
 *
 * endpoints.integration.test.ts fails, naming the file, until the route file exports exactly the
 * table's methods at that path.
 */
const TABLE = [
  {
    method: "GET",
    path: "/api/v1/policy",
    operationId: "getPolicy",
    // Answered even when the workspace is stopped, and never counted (API.md).
    ...route({ action: "policy.read", counted: false, mutating: false }, getPolicy),
    openapi: {
      tag: "Policy",
      summary: "What this key may do now",
      description:
        "Identity, grants, mode, limits, retry policy and key expiry. Always answered for a valid key, even when the workspace is stopped; not counted.",
      parameters: [],
      success: [{ status: 200, schema: "Policy", description: "The policy of this key" }],
      errors: [],
    },
  },
  {
    method: "GET",
    path: "/api/v1/kv/{namespace}",
    operationId: "listKv",
    ...route({ action: "kv.list", counted: true, mutating: false, db: "sql" }, listKvHandler),
    openapi: {
      tag: "KV",
      summary: "List live keys",
      description: "Live keys in byte order, keyset-paginated (read grant).",
      parameters: ["Namespace", "Prefix", "Limit", "Cursor"],
      success: [{ status: 200, schema: "KvList", description: "One page of keys" }],
      errors: ["forbidden_namespace", "not_found"],
    },
  },
  {
    method: "GET",
    path: "/api/v1/kv/{namespace}/{key}",
    operationId: "getKv",
    ...route({ action: "kv.read", counted: true, mutating: false, db: "sql" }, getKvHandler),
    openapi: {
      tag: "KV",
      summary: "Read a value",
      description: "The value, its version and expiry (read grant). Absent or expired → 404.",
      parameters: ["Namespace", "Key"],
      success: [{ status: 200, schema: "KvEntry", description: "The entry", etag: true }],
      errors: ["forbidden_namespace", "not_found"],
    },
  },
  {
    method: "PUT",
    path: "/api/v1/kv/{namespace}/{key}",
    operationId: "putKv",
    ...route(
      { action: "kv.put", counted: true, mutating: true, db: "sql", body: putKvBody, express: putKvExpress },
      putKvHandler,
    ),
    openapi: {
      tag: "KV",
      summary: "Write a value",
      description:
        "Creates (201) or updates (200) the entry (write grant). Versions start at 1 and grow by 1 per write. Without `ttlSeconds` the namespace's default TTL applies.",
      parameters: ["Namespace", "Key", "IfMatch", "IfNoneMatch"],
      body: "PutKvBody",
      success: [
        { status: 200, schema: "KvPutResult", description: "Updated", etag: true },
        { status: 201, schema: "KvPutResult", description: "Created", etag: true },
      ],
      errors: ["forbidden_namespace", "not_found", "version_conflict", "validation_failed", "ttl_exceeds_policy"],
    },
  },
  {
    method: "DELETE",
    path: "/api/v1/kv/{namespace}/{key}",
    operationId: "deleteKv",
    ...route({ action: "kv.delete", counted: true, mutating: true, db: "sql" }, deleteKvHandler),
    openapi: {
      tag: "KV",
      summary: "Delete a value",
      description: "Deletes the entry (write grant), with the same preconditions as PUT. Absent → 404.",
      parameters: ["Namespace", "Key", "IfMatch", "IfNoneMatch"],
      success: [{ status: 200, schema: "KvDeleteResult", description: "Deleted" }],
      errors: ["forbidden_namespace", "not_found", "version_conflict"],
    },
  },
  {
    method: "GET",
    path: "/api/v1/tasks",
    operationId: "listTasks",
    ...route({ action: "task.list", counted: true, mutating: false }, listTasksHandler),
    openapi: {
      tag: "Tasks",
      summary: "List tasks",
      description: "Tasks of the caller's workflow class, newest first, without their events.",
      parameters: ["TaskStatus", "Due", "Limit", "Cursor"],
      success: [{ status: 200, schema: "TaskList", description: "One page of tasks" }],
      errors: [],
    },
  },
  {
    method: "POST",
    path: "/api/v1/tasks",
    operationId: "createTask",
    ...route({ action: "task.create", counted: true, mutating: true, body: createTaskBody }, createTaskHandler),
    openapi: {
      tag: "Tasks",
      summary: "Create a task",
      description: "A task of the caller identity's workflow class, in a namespace it may write; `status: accepted`.",
      parameters: [],
      body: "CreateTaskBody",
      success: [{ status: 201, schema: "Task", description: "The task" }],
      errors: ["forbidden_namespace", "not_found", "validation_failed"],
    },
  },
  {
    method: "GET",
    path: "/api/v1/tasks/{id}",
    operationId: "getTask",
    ...route({ action: "task.read", counted: true, mutating: false }, getTaskHandler),
    params: ["id"],
    openapi: {
      tag: "Tasks",
      summary: "Read a task with its events",
      description:
        "The task, its gapless events and latest checkpoint. Visible to identities of the same workflow class in the same workspace.",
      parameters: ["TaskId"],
      success: [{ status: 200, schema: "TaskWithEvents", description: "The task", etag: true }],
      errors: ["forbidden_namespace", "not_found"],
    },
  },
  {
    method: "POST",
    path: "/api/v1/tasks/{id}/events",
    operationId: "sendTaskEvent",
    ...route({ action: "task.event", counted: true, mutating: true, body: taskEventBody }, taskEventHandler),
    params: ["id"],
    openapi: {
      tag: "Tasks",
      summary: "Report a task event",
      description:
        "`started`, `heartbeat`, `step_completed` (+ `checkpoint`), `step_failed` (+ `error`), `committed` (+ `output`), `escalate` (+ `reason`). The state machine refuses anything else with 409 `invalid_transition`.",
      parameters: ["TaskId", "IfMatchSeq"],
      body: "TaskEventBody",
      success: [{ status: 200, schema: "Task", description: "The task after the event", etag: true }],
      errors: ["forbidden_namespace", "not_found", "invalid_transition", "version_conflict", "validation_failed"],
    },
  },
  {
    method: "POST",
    path: "/api/v1/actions",
    operationId: "requestAction",
    ...route(
      {
        action: "action.request",
        counted: true,
        mutating: true,
        body: requestActionBody,
        express: requestActionExpress,
      },
      requestActionHandler,
    ),
    openapi: {
      tag: "Actions",
      summary: "Ask before acting",
      description:
        "The workspace's action rules decide: 201 `allowed` (go ahead, then complete it before `expiresAt`), 202 `pending_approval` (people decide: wait with `GET /actions/{id}?wait=30`), or 403 `action_denied` (the denied action is kept). The estimate is reserved in every spend budget, all or none: 429 `spend_budget_exhausted` names the one it does not fit. A `taskId` must name a task the caller may read.",
      parameters: [],
      body: "RequestActionBody",
      success: [
        { status: 201, schema: "Action", description: "Allowed" },
        { status: 202, schema: "Action", description: "Pending approval" },
      ],
      errors: ["action_denied", "not_found", "validation_failed", "action_rate_limited", "spend_budget_exhausted"],
    },
  },
  {
    method: "GET",
    path: "/api/v1/actions/{id}",
    operationId: "getAction",
    ...route({ action: "action.read", counted: true, mutating: false }, getActionHandler),
    params: ["id"],
    openapi: {
      tag: "Actions",
      summary: "Read an action, or wait for its decision",
      description:
        "The action. With `?wait=N` (0–30), answers as soon as it is no longer `pending_approval`, or after N seconds with it still pending. Visible to identities of the action's workflow class in its workspace.",
      parameters: ["ActionId", "Wait"],
      success: [{ status: 200, schema: "Action", description: "The action" }],
      errors: ["not_found"],
    },
  },
  {
    method: "POST",
    path: "/api/v1/actions/{id}/complete",
    operationId: "completeAction",
    // Settling is never refused: answered in every mode, counted against no limit (API.md).
    ...route(
      {
        action: "action.complete",
        counted: false,
        mutating: true,
        body: completeActionBody,
        express: completeActionExpress,
      },
      completeActionHandler,
    ),
    params: ["id"],
    openapi: {
      tag: "Actions",
      summary: "Report an allowed action's outcome",
      description:
        "Only from `allowed`. Settles at `actual` (default: the estimate); an actual above the estimate is charged in full and marked `overrun`. Answered in every mode (degraded, stopped, kill switch) and counted against no limit.",
      parameters: ["ActionId"],
      body: "CompleteActionBody",
      success: [{ status: 200, schema: "Action", description: "The action after it" }],
      errors: ["not_found", "invalid_transition", "validation_failed"],
    },
  },
  {
    method: "POST",
    path: "/api/v1/actions/{id}/cancel",
    operationId: "cancelAction",
    ...route({ action: "action.cancel", counted: false, mutating: true, body: cancelActionBody }, cancelActionHandler),
    params: ["id"],
    openapi: {
      tag: "Actions",
      summary: "Cancel a pending or allowed action",
      description:
        "From `pending_approval` or `allowed` → `cancelled`; the reservation is released. The body is optional. Answered in every mode and counted against no limit.",
      parameters: ["ActionId"],
      body: "CancelActionBody",
      success: [{ status: 200, schema: "Action", description: "The action after it" }],
      errors: ["not_found", "invalid_transition", "validation_failed"],
    },
  },
] as const satisfies readonly EndpointSpec[];

type Row = (typeof TABLE)[number];
/** A path template of the table. */
export type AgentPath = Row["path"];

/** A row of the table, with its endpoint. */
export type AgentEndpointRow = EndpointSpec;

/** The table, in table order. */
export const AGENT_ENDPOINTS: readonly AgentEndpointRow[] = TABLE;

/** The endpoints at one path of the table, by method: what its route file under app/api/v1 exports. */
export function endpointsFor<P extends AgentPath>(
  path: P,
): { [M in Extract<Row, { path: P }>["method"]]: AgentEndpoint<Record<string, string>> } {
  const rows = AGENT_ENDPOINTS.filter((row) => row.path === path);
  return Object.fromEntries(rows.map((row) => [row.method, row.endpoint])) as ReturnType<typeof endpointsFor<P>>;
}
