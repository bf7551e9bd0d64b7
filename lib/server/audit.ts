import "server-only";
import { redactSecrets } from "@/lib/core/audit";
import type { ActorType, AuditOutcome, Prisma } from "@/lib/generated/prisma/client";
import type { Tx } from "./db";

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
 * The audit writer. Call it with the transaction that makes the change, so the
 * event and the change commit together or not at all; a denial is written in a
 * transaction of its own. Details are stripped of secrets here, once, for all.
 */
export async function writeAudit(tx: Tx, entry: AuditEntry): Promise<void> {
  await tx.auditEvent.create({
    data: {
      workspaceId: entry.workspaceId,
      actorType: entry.actor.type,
      actorId: entry.actor.id,
      actorName: entry.actor.name,
      action: entry.action,
      outcome: entry.outcome ?? "success",
      namespace: entry.namespace ?? null,
      target: entry.target ?? null,
      reason: entry.reason ?? null,
      correlationId: entry.correlationId ?? null,
      requestId: entry.requestId ?? null,
      details: redactSecrets(entry.details ?? {}) as Prisma.InputJsonValue,
    },
    select: { id: true },
  });
}

export const systemActor = (job: string): Actor => ({ type: "system", id: job, name: job });
