import { agentRoute } from "@/lib/server/agent-api/agent-route";
import { listKvHandler } from "@/lib/server/agent-api/kv-handlers";

export const dynamic = "force-dynamic";

export const GET = agentRoute({ action: "kv.list" }, listKvHandler);
