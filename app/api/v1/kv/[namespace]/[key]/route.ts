import { agentRoute } from "@/lib/server/agent-api/agent-route";
import { deleteKvHandler, getKvHandler, putKvAttempt, putKvHandler } from "@/lib/server/agent-api/kv-handlers";

export const dynamic = "force-dynamic";

export const GET = agentRoute({ action: "kv.read" }, getKvHandler);
export const PUT = agentRoute(
  { action: "kv.put", mutating: true, plainSql: true, attempt: putKvAttempt },
  putKvHandler,
);
export const DELETE = agentRoute({ action: "kv.delete", mutating: true, plainSql: true }, deleteKvHandler);
