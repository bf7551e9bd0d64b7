import { format as formatDate } from "date-fns";
import { isAppError } from "@/lib/core/errors";
import { spendCsv } from "@/lib/core/spend-export";
import { authorizeAction } from "@/lib/server/action";
import { exportSpend } from "@/lib/server/budgets/spend-overview";

const STATUS: Record<string, number> = { unauthorized: 401, forbidden: 403, not_found: 404 };

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
    const name = `spend-${ctx.workspace.slug}-${formatDate(new Date(), "yyyyMMdd-HHmmss")}.csv`;
    return new Response(spendCsv(rows), {
      headers: {
        "Content-Type": "text/csv; charset=utf-8",
        "Content-Disposition": `attachment; filename="${name}"`,
        "Cache-Control": "no-store",
      },
    });
  } catch (error) {
    if (isAppError(error) && STATUS[error.code]) {
      return Response.json({ error: error.message }, { status: STATUS[error.code] });
    }
    throw error;
  }
}
