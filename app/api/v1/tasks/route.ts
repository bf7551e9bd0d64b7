import { agentRoute } from "@/lib/server/agent-api/agent-route";
import { createTaskHandler, listTasksHandler } from "@/lib/server/agent-api/task-handlers";

export const dynamic = "force-dynamic";

export const GET = agentRoute({ action: "task.list" }, listTasksHandler);
export const POST = agentRoute({ action: "task.create", mutating: true }, createTaskHandler);
