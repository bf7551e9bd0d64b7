import { getPolicyEndpoint } from "@/lib/server/agent-api/endpoints";

export const dynamic = "force-dynamic";

export const GET = getPolicyEndpoint;
