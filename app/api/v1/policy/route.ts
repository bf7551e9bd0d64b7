import { agentRoute } from "@/lib/server/agent-api/agent-route";
import { getPolicy } from "@/lib/server/agent-api/get-policy";

export const dynamic = "force-dynamic";

// Answered even when the workspace is stopped, and never counted (API.md).
export const GET = agentRoute({ action: "policy.read", counted: false }, getPolicy);
