import "server-only";
import { AppError } from "@/lib/core/errors";
import { writeAudit, type Actor } from "../audit";
import { getDb } from "../db";

/** Edits the TTL policy; it applies to writes from now on, existing entries keep their expiry. */
export async function updateNamespace(input: {
  workspaceId: string;
  actor: Actor;
  namespaceId: string;
  description?: string;
  defaultTtlSeconds: number | null;
  maxTtlSeconds: number | null;
  reason?: string;
}) {
  return getDb().$transaction(async (tx) => {
    const before = await tx.namespace.findFirst({ where: { id: input.namespaceId, workspaceId: input.workspaceId } });
    if (!before) throw new AppError("not_found", "No such namespace in this workspace.");
    const after = await tx.namespace.update({
      where: { id: before.id },
      data: {
        description: input.description ?? null,
        defaultTtlSeconds: input.defaultTtlSeconds,
        maxTtlSeconds: input.maxTtlSeconds,
      },
    });
    await writeAudit(tx, {
      workspaceId: input.workspaceId,
      actor: input.actor,
      action: "namespace.updated",
      namespace: before.name,
      target: before.name,
      reason: input.reason,
      details: {
        before: {
          description: before.description,
          defaultTtlSeconds: before.defaultTtlSeconds,
          maxTtlSeconds: before.maxTtlSeconds,
        },
        after: {
          description: after.description,
          defaultTtlSeconds: after.defaultTtlSeconds,
          maxTtlSeconds: after.maxTtlSeconds,
        },
      },
    });
    return after;
  });
}
