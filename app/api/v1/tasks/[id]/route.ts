import { agentRoute } from "@/lib/server/agent-api/agent-route";
import { getTaskHandler } from "@/lib/server/agent-api/task-handlers";

export const dynamic = "force-dynamic";

export const GET = agentRoute<{ id: string }>({ action: "task.read" }, getTaskHandler);
