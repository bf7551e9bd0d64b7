import "server-only";
import { redactSecrets } from "@/lib/core/audit";
import type { ActorType, AuditOutcome } from "@/lib/generated/prisma/client";
import { prismaSql, type Sql, type Tx } from "./db";

export type Actor = {
  type: ActorType;
  /** user id, identity id, OS user for the CLI, job name for the system */
  id: string | null;
  name: string | null;
};

export type AuditEntry = {
  workspaceId: string | null;
  actor: Actor;
  /** `noun.verb_past`, e.g. `member.added`, `auth.sign_in_failed` */
  action: string;
  outcome?: AuditOutcome;
  namespace?: string | null;
  target?: string | null;
  reason?: string | null;
  correlationId?: string | null;
  requestId?: string | null;
  details?: Record<string, unknown>;
};

/**
 * An event's details as the trail stores them: stripped of secrets. Every event's details pass
 * through here — writeAudit's, and those the database's own writes record (kv_put's caller builds
 * them with this; the database adds only versions and expiry).
 */
export function auditDetailsJson(details: Record<string, unknown>): string {
  return JSON.stringify(redactSecrets(details));
}

const INSERT = `SELECT 1 AS written FROM audit_insert($1, $2::actor_type, $3, $4, $5, $6::audit_outcome, $7, $8, $9, $10, $11, $12::jsonb)`;

/**
 * The audit writer (the one INSERT is prisma/sql/audit_insert.sql). Call it with the transaction
 * that makes the change — plain SQL, or a Prisma transaction — so the event and the change commit
 * together or not at all; a denial is written in a transaction of its own.
 */
export async function writeAudit(on: Sql | Tx, entry: AuditEntry): Promise<void> {
  const sql = isPrisma(on) ? prismaSql(on) : on;
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
    auditDetailsJson(entry.details ?? {}),
  ]);
}

function isPrisma(on: Sql | Tx): on is Tx {
  return typeof (on as Partial<Tx>).$queryRawUnsafe === "function";
}

export const systemActor = (job: string): Actor => ({ type: "system", id: job, name: job });
