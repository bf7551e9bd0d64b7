import { openApiDocument } from "@/lib/server/openapi";

// A static segment wins over the catch-all app/api/v1/[...path] (Next.js matches the most specific route).
export const dynamic = "force-dynamic";

export function GET() {
  return Response.json(openApiDocument(), { headers: { "Cache-Control": "public, max-age=300" } });
}
