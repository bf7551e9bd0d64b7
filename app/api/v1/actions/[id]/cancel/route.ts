import { endpointsFor } from "@/lib/server/agent-api/endpoints";

export const dynamic = "force-dynamic";

export const { POST } = endpointsFor("/api/v1/actions/{id}/cancel");
