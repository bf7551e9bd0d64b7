import { agentRoute } from "@/lib/server/agent-api/agent-route";
import { deleteKvHandler, getKvHandler, putKvExpress, putKvHandler } from "@/lib/server/agent-api/kv-handlers";

export const dynamic = "force-dynamic";

export const GET = agentRoute({ action: "kv.read" }, getKvHandler);
export const PUT = agentRoute(
  { action: "kv.put", mutating: true, plainSql: true, express: putKvExpress },
  putKvHandler,
);
export const DELETE = agentRoute({ action: "kv.delete", mutating: true, plainSql: true }, deleteKvHandler);
