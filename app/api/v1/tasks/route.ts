import { createTaskEndpoint, listTasksEndpoint } from "@/lib/server/agent-api/endpoints";

export const dynamic = "force-dynamic";

export const GET = listTasksEndpoint;
export const POST = createTaskEndpoint;
