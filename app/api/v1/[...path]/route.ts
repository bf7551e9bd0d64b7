import { notFoundReply } from "@/lib/server/agent-api/agent-server";
import { fromWebRequest, toResponse } from "@/lib/server/agent-api/agent-route";

export const dynamic = "force-dynamic";

// Unknown agent API paths answer in the same envelope as everything else.
function notFound(request: Request): Response {
  return toResponse(notFoundReply(fromWebRequest(request)));
}

export { notFound as GET, notFound as POST, notFound as PUT, notFound as DELETE, notFound as PATCH };
