import { getTaskEndpoint } from "@/lib/server/agent-api/endpoints";

export const dynamic = "force-dynamic";

export const GET = getTaskEndpoint;
