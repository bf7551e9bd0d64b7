import "server-only";
import { Prisma } from "@/lib/generated/prisma/client";
import type { AuditCursor } from "@/lib/core/audit-export";
import type { ExportRow } from "@/lib/core/audit-export";
import type { AuditFilter } from "@/lib/validations/audit";
import { getDb, type Tx } from "../db";
import { toChainEvent, type AuditEventRow } from "./event-row";

/** Through Prisma, ids and seqs are bigints; through plain `pg`, decimal strings. */
export type AuditSearchRow = Omit<AuditEventRow, "id"> & {
  id: bigint | string;
  seq: bigint | string | null;
  prev_hash: string | null;
  hash: string | null;
};

function likeEscape(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/**
 * The WHERE clause of a search: always one workspace, then each filter. Every
 * equality filter has an index (workspace_id, <column>, created_at, id) — see
 * the audit_chain migration — so a first page reads ~limit index entries.
 */
export function auditWhere(workspaceId: string, filter: AuditFilter, cursor: AuditCursor | null): Prisma.Sql {
  const parts: Prisma.Sql[] = [Prisma.sql`e.workspace_id = ${workspaceId}`];
  if (filter.actor) parts.push(Prisma.sql`e.actor_name = ${filter.actor}`);
  if (filter.actorType) parts.push(Prisma.sql`e.actor_type = ${filter.actorType}::actor_type`);
  if (filter.action) {
    parts.push(
      filter.action.endsWith("*")
        ? Prisma.sql`e.action LIKE ${`${likeEscape(filter.action.slice(0, -1))}%`}`
        : Prisma.sql`e.action = ${filter.action}`,
    );
  }
  if (filter.namespace) parts.push(Prisma.sql`e.namespace = ${filter.namespace}`);
  if (filter.target) parts.push(Prisma.sql`e.target = ${filter.target}`);
  if (filter.correlation) parts.push(Prisma.sql`e.correlation_id = ${filter.correlation}`);
  if (filter.outcome) parts.push(Prisma.sql`e.outcome = ${filter.outcome}::audit_outcome`);
  if (filter.from) parts.push(Prisma.sql`e.created_at >= ${filter.from}`);
  if (filter.to) parts.push(Prisma.sql`e.created_at <= ${filter.to}`);
  if (filter.q) parts.push(Prisma.sql`e.reason ILIKE ${`%${likeEscape(filter.q)}%`}`);
  if (cursor) parts.push(Prisma.sql`(e.created_at, e.id) < (${cursor.createdAt}, ${cursor.id})`);
  return Prisma.join(parts, " AND ");
}

const SELECT = Prisma.sql`e.id, e.workspace_id, e.actor_type::text AS actor_type, e.actor_id, e.actor_name, e.action,
  e.outcome::text AS outcome, e.namespace, e.target, e.reason, e.correlation_id, e.request_id, e.details, e.created_at,
  s.seq, s.prev_hash, s.hash`;

/** The statement of one page of a search, newest first, keyset-paginated on (created_at, id). */
export function searchAuditQuery(
  workspaceId: string,
  filter: AuditFilter,
  options: { cursor?: AuditCursor | null; limit: number },
): Prisma.Sql {
  return Prisma.sql`
    SELECT ${SELECT} FROM audit_event e LEFT JOIN audit_seal s ON s.event_id = e.id
    WHERE ${auditWhere(workspaceId, filter, options.cursor ?? null)}
    ORDER BY e.created_at DESC, e.id DESC
    LIMIT ${options.limit}`;
}

/** One page of a search. */
async function searchAuditRows(
  db: Tx,
  workspaceId: string,
  filter: AuditFilter,
  options: { cursor?: AuditCursor | null; limit: number },
): Promise<AuditSearchRow[]> {
  return db.$queryRaw<AuditSearchRow[]>(searchAuditQuery(workspaceId, filter, options));
}

/** An export row is the chain's view of the event plus its seal. */
export function toExportRow(row: AuditSearchRow): ExportRow {
  return {
    ...toChainEvent(row),
    chainSeq: row.seq === null ? null : Number(row.seq),
    prevHash: row.prev_hash,
    hash: row.hash,
  };
}

export type AuditSearchPage = { items: ExportRow[]; nextCursor: AuditCursor | null };

export async function searchAudit(
  workspaceId: string,
  filter: AuditFilter,
  options: { cursor?: AuditCursor | null; limit?: number } = {},
): Promise<AuditSearchPage> {
  const limit = Math.min(Math.max(options.limit ?? 50, 1), 500);
  const rows = await searchAuditRows(getDb(), workspaceId, filter, { cursor: options.cursor, limit: limit + 1 });
  const items = rows.slice(0, limit);
  const last = items[items.length - 1];
  return {
    items: items.map(toExportRow),
    nextCursor: rows.length > limit && last ? { createdAt: new Date(last.created_at), id: BigInt(last.id) } : null,
  };
}

/** One event with its seal, for the drawer. */
export async function getAuditEvent(workspaceId: string, id: bigint): Promise<ExportRow | null> {
  const rows = await getDb().$queryRaw<AuditSearchRow[]>`
    SELECT ${SELECT} FROM audit_event e LEFT JOIN audit_seal s ON s.event_id = e.id
    WHERE e.workspace_id = ${workspaceId} AND e.id = ${id}`;
  return rows[0] ? toExportRow(rows[0]) : null;
}
