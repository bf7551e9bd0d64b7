import "server-only";
import { agentRoute } from "./agent-route";
import { getPolicy } from "./get-policy";
import { deleteKvHandler, getKvHandler, listKvHandler, putKvExpress, putKvHandler } from "./kv-handlers";
import { createTaskHandler, getTaskHandler, listTasksHandler, taskEventHandler } from "./task-handlers";

/**
 * Every agent endpoint, once. The Next.js route files under app/api/v1 re-export
 * these, and the agent API's own HTTP lane (agent-server.ts) serves the same
 * objects — one wrapper, one set of guardrails, whichever way a request comes in.
 */

// Answered even when the workspace is stopped, and never counted (API.md).
export const getPolicyEndpoint = agentRoute({ action: "policy.read", counted: false }, getPolicy);

export const getKvEndpoint = agentRoute({ action: "kv.read" }, getKvHandler);
export const putKvEndpoint = agentRoute(
  { action: "kv.put", mutating: true, plainSql: true, express: putKvExpress },
  putKvHandler,
);
export const deleteKvEndpoint = agentRoute({ action: "kv.delete", mutating: true, plainSql: true }, deleteKvHandler);
export const listKvEndpoint = agentRoute({ action: "kv.list" }, listKvHandler);

export const listTasksEndpoint = agentRoute({ action: "task.list" }, listTasksHandler);
export const createTaskEndpoint = agentRoute({ action: "task.create", mutating: true }, createTaskHandler);
export const getTaskEndpoint = agentRoute<{ id: string }>({ action: "task.read" }, getTaskHandler);
export const taskEventEndpoint = agentRoute<{ id: string }>({ action: "task.event", mutating: true }, taskEventHandler);
