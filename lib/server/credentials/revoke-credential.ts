import "server-only";
import { AppError } from "@/lib/core/errors";
import { writeAudit, type Actor } from "../audit";
import { getDb } from "../db";

/**
 * Revokes at once: the agent wrapper reads the credential on every call (no
 * cache), so the very next request with this key gets 401.
 */
export async function revokeCredential(input: {
  workspaceId?: string;
  actor: Actor;
  credentialId: string;
  reason: string;
  now?: Date;
}) {
  const now = input.now ?? new Date();
  return getDb().$transaction(async (tx) => {
    const credential = await tx.credential.findFirst({
      where: { id: input.credentialId, ...(input.workspaceId ? { workspaceId: input.workspaceId } : {}) },
      select: { id: true, workspaceId: true, prefix: true, revokedAt: true, identity: { select: { name: true } } },
    });
    if (!credential) throw new AppError("not_found", "No such key.");
    if (credential.revokedAt) throw new AppError("conflict", `Key ${credential.prefix}… was already revoked.`);
    const revoked = await tx.credential.update({
      where: { id: credential.id },
      data: { revokedAt: now, revokedBy: input.actor.name, revokedReason: input.reason },
      select: { id: true, prefix: true, revokedAt: true, revokedBy: true, revokedReason: true },
    });
    await writeAudit(tx, {
      workspaceId: credential.workspaceId,
      actor: input.actor,
      action: "credential.revoked",
      target: credential.id,
      reason: input.reason,
      details: { identity: credential.identity.name, prefix: credential.prefix },
    });
    return revoked;
  });
}
