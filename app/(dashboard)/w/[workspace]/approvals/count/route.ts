import { countPending } from "@/lib/server/actions/list-actions";
import { authorize } from "@/lib/server/auth/session";
import { refusalResponse } from "@/lib/server/route-response";

/**
 * GET /w/{workspace}/approvals/count → { workspaceId, pending }: the nav badge polls it. Any
 * member may read it (checked here, on the server); nothing is changed, nothing is cached.
 */
export async function GET(_request: Request, { params }: { params: Promise<{ workspace: string }> }) {
  const { workspace: slug } = await params;
  try {
    const { workspace } = await authorize(slug, "workspace.read");
    return Response.json(
      { workspaceId: workspace.id, pending: await countPending(workspace.id) },
      { headers: { "Cache-Control": "no-store" } },
    );
  } catch (error) {
    return refusalResponse(error);
  }
}
