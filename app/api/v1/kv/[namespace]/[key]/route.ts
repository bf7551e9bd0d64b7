import { endpointsFor } from "@/lib/server/agent-api/endpoints";

export const dynamic = "force-dynamic";

export const { GET, PUT, DELETE } = endpointsFor("/api/v1/kv/{namespace}/{key}");
