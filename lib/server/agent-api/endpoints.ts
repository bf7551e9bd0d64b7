import "server-only";
import { agentRoute } from "./agent-route";
import { getPolicy } from "./get-policy";
import { deleteKvHandler, getKvHandler, listKvHandler, putKvBody, putKvExpress, putKvHandler } from "./kv-handlers";
import {
  createTaskBody,
  createTaskHandler,
  getTaskHandler,
  listTasksHandler,
  taskEventBody,
  taskEventHandler,
} from "./task-handlers";

/**
 * Every agent endpoint, once. The Next.js route files under app/api/v1 re-export
 * these, and the agent API's own HTTP lane (agent-server.ts) serves the same
 * objects — one wrapper, one set of guardrails, whichever way a request comes in.
 */

// Answered even when the workspace is stopped, and never counted (API.md).
export const getPolicyEndpoint = agentRoute({ action: "policy.read", counted: false }, getPolicy);

export const getKvEndpoint = agentRoute({ action: "kv.read", db: "sql" }, getKvHandler);
export const putKvEndpoint = agentRoute(
  { action: "kv.put", mutating: true, db: "sql", body: putKvBody, express: putKvExpress },
  putKvHandler,
);
export const deleteKvEndpoint = agentRoute({ action: "kv.delete", mutating: true, db: "sql" }, deleteKvHandler);
export const listKvEndpoint = agentRoute({ action: "kv.list", db: "sql" }, listKvHandler);

export const listTasksEndpoint = agentRoute({ action: "task.list" }, listTasksHandler);
export const createTaskEndpoint = agentRoute(
  { action: "task.create", mutating: true, body: createTaskBody },
  createTaskHandler,
);
export const getTaskEndpoint = agentRoute<{ id: string }>({ action: "task.read" }, getTaskHandler);
export const taskEventEndpoint = agentRoute(
  { action: "task.event", mutating: true, body: taskEventBody },
  taskEventHandler,
);
