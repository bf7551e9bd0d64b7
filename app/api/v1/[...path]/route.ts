import { AppError } from "@/lib/core/errors";
import { newId } from "@/lib/core/ids";
import { errorResponse } from "@/lib/server/agent-api/agent-route";

export const dynamic = "force-dynamic";

// Unknown agent API paths answer in the same envelope as everything else.
function notFound(request: Request): Response {
  const path = new URL(request.url).pathname;
  return errorResponse(new AppError("not_found", `no such endpoint: ${request.method} ${path}`), newId("req"));
}

export { notFound as GET, notFound as POST, notFound as PUT, notFound as DELETE, notFound as PATCH };
