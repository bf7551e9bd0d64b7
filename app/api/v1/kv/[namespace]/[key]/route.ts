import { deleteKvEndpoint, getKvEndpoint, putKvEndpoint } from "@/lib/server/agent-api/endpoints";

export const dynamic = "force-dynamic";

export const GET = getKvEndpoint;
export const PUT = putKvEndpoint;
export const DELETE = deleteKvEndpoint;
