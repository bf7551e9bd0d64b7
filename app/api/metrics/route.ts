import { metricsResponse } from "@/lib/server/metrics";

export const dynamic = "force-dynamic";

export function GET(request: Request) {
  return metricsResponse(request);
}
