import { spendCsv } from "@/lib/core/spend-export";
import { authorizeAction } from "@/lib/server/action";
import { exportSpend } from "@/lib/server/budgets/spend-overview";
import { downloadResponse, refusalResponse } from "@/lib/server/route-response";

/**
 * GET /w/{workspace}/budgets/export: the last 30 days' spend per day × class × action as CSV.
 * Every member may read spend (viewers read everything), checked here on the server (a refusal is
 * audited); the export itself is audited.
 */
export async function GET(_request: Request, { params }: { params: Promise<{ workspace: string }> }) {
  const { workspace: slug } = await params;
  try {
    const ctx = await authorizeAction("budget.spend_export", slug, "workspace.read");
    const rows = await exportSpend({ workspaceId: ctx.workspace.id, actor: ctx.actor });
    return downloadResponse(spendCsv(rows), {
      kind: "spend",
      workspace: ctx.workspace.slug,
      extension: "csv",
      contentType: "text/csv; charset=utf-8",
    });
  } catch (error) {
    return refusalResponse(error);
  }
}
