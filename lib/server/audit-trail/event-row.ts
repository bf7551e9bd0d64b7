import "server-only";
import type { ChainEvent } from "@/lib/core/audit-chain";

/** The columns of audit_event as raw SQL returns them (snake_case), for the chainer, verify and export. */
export type AuditEventRow = {
  id: bigint;
  workspace_id: string | null;
  actor_type: string;
  actor_id: string | null;
  actor_name: string | null;
  action: string;
  outcome: string;
  namespace: string | null;
  target: string | null;
  reason: string | null;
  correlation_id: string | null;
  request_id: string | null;
  details: unknown;
  created_at: Date;
};

export const EVENT_COLUMNS = `e.id, e.workspace_id, e.actor_type::text AS actor_type, e.actor_id, e.actor_name, e.action,
  e.outcome::text AS outcome, e.namespace, e.target, e.reason, e.correlation_id, e.request_id, e.details, e.created_at`;

/** A row read through Prisma (id a bigint) or plain `pg` (id a decimal string). */
export type EventRow = Omit<AuditEventRow, "id"> & { id: bigint | string };

export function toChainEvent(row: EventRow): ChainEvent {
  return {
    id: row.id.toString(),
    workspaceId: row.workspace_id,
    actorType: row.actor_type,
    actorId: row.actor_id,
    actorName: row.actor_name,
    action: row.action,
    outcome: row.outcome,
    namespace: row.namespace,
    target: row.target,
    reason: row.reason,
    correlationId: row.correlation_id,
    requestId: row.request_id,
    details: row.details ?? {},
    createdAt: new Date(row.created_at).toISOString(),
  };
}
