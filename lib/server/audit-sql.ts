import "server-only";
import { redactSecrets } from "@/lib/core/audit";
import type { AuditEntry } from "./audit";
import type { Sql } from "./pg";

const COLUMNS = `workspace_id, actor_type, actor_id, actor_name, action, outcome, namespace, target,
                 reason, correlation_id, request_id, details`;

/**
 * `INSERT INTO audit_event … SELECT … [FROM source]`, the entry's fields being
 * parameters `$first`…`$first+11` (see `auditParams`). `extraDetails` is a SQL
 * jsonb expression over `source` merged into the details — so a statement can
 * audit the row it just wrote (`WITH w AS (… RETURNING …) INSERT … FROM w`).
 */
export function auditInsertSelect(first: number, source?: string, extraDetails?: string): string {
  const $ = (i: number) => `$${first + i}`;
  const details = extraDetails ? `${$(11)}::jsonb || ${extraDetails}` : `${$(11)}::jsonb`;
  return `INSERT INTO audit_event (${COLUMNS})
          SELECT ${$(0)}, ${$(1)}::actor_type, ${$(2)}, ${$(3)}, ${$(4)}, ${$(5)}::audit_outcome, ${$(6)}, ${$(7)},
                 ${$(8)}, ${$(9)}, ${$(10)}, ${details}${source ? ` FROM ${source}` : ""}`;
}

/** The twelve parameters of `auditInsertSelect`, with details stripped of secrets (as `writeAudit` does). */
export function auditParams(entry: AuditEntry): unknown[] {
  return [
    entry.workspaceId,
    entry.actor.type,
    entry.actor.id,
    entry.actor.name,
    entry.action,
    entry.outcome ?? "success",
    entry.namespace ?? null,
    entry.target ?? null,
    entry.reason ?? null,
    entry.correlationId ?? null,
    entry.requestId ?? null,
    JSON.stringify(redactSecrets(entry.details ?? {})),
  ];
}

const INSERT = auditInsertSelect(1);

/**
 * `writeAudit` for code on plain SQL (the agent API's KV calls): the same
 * event, the same redaction, in the caller's transaction.
 */
export async function writeAuditSql(sql: Sql, entry: AuditEntry): Promise<void> {
  await sql.query(INSERT, auditParams(entry));
}
