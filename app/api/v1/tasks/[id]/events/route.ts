import { taskEventEndpoint } from "@/lib/server/agent-api/endpoints";

export const dynamic = "force-dynamic";

export const POST = taskEventEndpoint;
