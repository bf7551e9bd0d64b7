import "server-only";
import { redactSecrets } from "@/lib/core/audit";
import type { AuditEntry } from "./audit";
import type { Sql } from "./db";

const INSERT = `
  INSERT INTO audit_event (workspace_id, actor_type, actor_id, actor_name, action, outcome, namespace, target,
                           reason, correlation_id, request_id, details)
  VALUES ($1, $2::actor_type, $3, $4, $5, $6::audit_outcome, $7, $8, $9, $10, $11, $12::jsonb)`;

/**
 * `writeAudit` for code on plain SQL (the agent API's KV delete): the same
 * event, the same redaction, in the caller's transaction. (KV put audits
 * inside the `kv_put` database function.)
 */
export async function writeAuditSql(sql: Sql, entry: AuditEntry): Promise<void> {
  await sql.query(INSERT, [
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
  ]);
}
