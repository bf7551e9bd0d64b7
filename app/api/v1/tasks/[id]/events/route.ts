import { agentRoute } from "@/lib/server/agent-api/agent-route";
import { taskEventHandler } from "@/lib/server/agent-api/task-handlers";

export const dynamic = "force-dynamic";

export const POST = agentRoute<{ id: string }>({ action: "task.event", mutating: true }, taskEventHandler);
