import { endpointsFor } from "@/lib/server/agent-api/endpoints";

export const dynamic = "force-dynamic";

export const { GET } = endpointsFor("/api/v1/actions/{id}");
