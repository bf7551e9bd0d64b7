import "server-only";
import { csvHeader, csvLine, ndjsonLine, type AuditCursor } from "@/lib/core/audit-export";
import { auditFilterParams, type AuditFilter } from "@/lib/validations/audit";
import { writeAudit, type Actor } from "../audit";
import { getDb } from "../db";
import { poolSql } from "../db";
import { searchAuditQuery, toExportRow, type AuditSearchRow } from "./search-audit";

export type ExportFormat = "ndjson" | "csv";
const PAGE = 2000;

/**
 * An export of a search, as text chunks: the same filter and order as the
 * dashboard's search (newest first), read page by page with the search's own
 * keyset pagination — so memory stays flat whatever the size, and no
 * transaction is held open for the length of a download. Each row carries its
 * seal (chainSeq, prevHash, hash) so it can be verified offline (README).
 *
 * The export is itself audited, before the first byte, in its own transaction.
 */
export async function exportAudit(input: {
  workspaceId: string;
  filter: AuditFilter;
  format: ExportFormat;
  actor: Actor;
  pageSize?: number;
}): Promise<AsyncGenerator<string>> {
  await writeAudit(getDb(), {
    workspaceId: input.workspaceId,
    actor: input.actor,
    action: "audit.exported",
    details: { format: input.format, filter: Object.fromEntries(auditFilterParams(input.filter)) },
  });
  return exportChunks(input.workspaceId, input.filter, input.format, input.pageSize ?? PAGE);
}

async function* exportChunks(
  workspaceId: string,
  filter: AuditFilter,
  format: ExportFormat,
  pageSize: number,
): AsyncGenerator<string> {
  if (format === "csv") yield csvHeader();
  let cursor: AuditCursor | null = null;
  for (;;) {
    // The search's own statement, on plain `pg`: the ORM's raw-row decoding was most of an export's time.
    const query = searchAuditQuery(workspaceId, filter, { cursor, limit: pageSize });
    const rows = await poolSql().query<AuditSearchRow>(query.text, query.values);
    if (rows.length === 0) return;
    let chunk = "";
    for (const row of rows) chunk += format === "csv" ? csvLine(toExportRow(row)) : ndjsonLine(toExportRow(row));
    yield chunk;
    if (rows.length < pageSize) return;
    const last = rows[rows.length - 1]!;
    cursor = { createdAt: new Date(last.created_at), id: BigInt(last.id) };
  }
}

/** For route handlers: the chunks as a byte stream that reads the next page only when the client wants it. */
export function toByteStream(chunks: AsyncGenerator<string>): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const next = await chunks.next();
        if (next.done) controller.close();
        else controller.enqueue(encoder.encode(next.value));
      } catch (error) {
        controller.error(error);
      }
    },
    async cancel() {
      await chunks.return(undefined);
    },
  });
}
