import "server-only";
import type { Precondition } from "@/lib/core/kv";
import type { Actor } from "../audit";

/**
 * The arguments kv_put and kv_delete (prisma/sql) share, in their order: the precondition
 * (`p_precondition`, `p_if_version`), then who writes, when and why (`p_now`, the actor, `p_reason`,
 * `p_correlation_id`, `p_request_id`).
 */
export function writeParams(input: {
  precondition: Precondition;
  now: Date;
  actor: Actor;
  reason: string | null;
  correlationId?: string | null;
  requestId?: string | null;
}): unknown[] {
  const { precondition, actor } = input;
  return [
    precondition.kind,
    precondition.kind === "match" ? precondition.version : null,
    input.now,
    actor.type,
    actor.id,
    actor.name,
    input.reason,
    input.correlationId ?? null,
    input.requestId ?? null,
  ];
}
