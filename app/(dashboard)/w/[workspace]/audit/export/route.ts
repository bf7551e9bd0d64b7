import { authorizeAction } from "@/lib/server/action";
import { exportAudit, toByteStream } from "@/lib/server/audit-trail/export-audit";
import { downloadResponse, refusalResponse } from "@/lib/server/route-response";
import { auditFilterSchema } from "@/lib/validations/audit";

/**
 * GET /w/{workspace}/audit/export?format=ndjson|csv&<search filters>: the
 * search as a download, streamed page by page. Auditors and admins only,
 * checked here on the server (a refusal is audited); the export is audited.
 */
export async function GET(request: Request, { params }: { params: Promise<{ workspace: string }> }) {
  const { workspace: slug } = await params;
  const query = Object.fromEntries(new URL(request.url).searchParams);
  const format = query.format === "csv" ? "csv" : query.format === "ndjson" || !query.format ? "ndjson" : null;
  const filter = auditFilterSchema.safeParse(query);
  if (!format || !filter.success) {
    return Response.json(
      { error: "Bad export request: format must be ndjson or csv; check the filters." },
      { status: 400 },
    );
  }
  try {
    const ctx = await authorizeAction("audit.export", slug, "audit.export");
    const chunks = await exportAudit({ workspaceId: ctx.workspace.id, filter: filter.data, format, actor: ctx.actor });
    return downloadResponse(toByteStream(chunks), {
      kind: "audit",
      workspace: ctx.workspace.slug,
      extension: format,
      contentType: format === "csv" ? "text/csv; charset=utf-8" : "application/x-ndjson; charset=utf-8",
    });
  } catch (error) {
    return refusalResponse(error);
  }
}
