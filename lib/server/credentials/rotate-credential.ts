import "server-only";
import { AppError } from "@/lib/core/errors";
import { credentialStatus, rotatedExpiry } from "@/lib/core/credential-policy";
import { writeAudit, type Actor } from "../audit";
import { getDb } from "../db";
import { issueCredentialIn, type IssuedCredential } from "./issue-credential";

/**
 * Rotation: a new key with the same lifetime and ceiling as the old one, and
 * the old key cut down to an overlap window so running agents can switch.
 */
export async function rotateCredential(input: {
  workspaceId: string;
  actor: Actor;
  credentialId: string;
  overlapSeconds: number;
  reason: string;
  now?: Date;
}): Promise<IssuedCredential & { previous: { id: string; expiresAt: Date } }> {
  const now = input.now ?? new Date();
  return getDb().$transaction(async (tx) => {
    const old = await tx.credential.findFirst({
      where: { id: input.credentialId, workspaceId: input.workspaceId },
      select: {
        id: true,
        identityId: true,
        prefix: true,
        createdAt: true,
        expiresAt: true,
        revokedAt: true,
        dailyWriteCeiling: true,
        dailyUsdLimitMicros: true,
      },
    });
    if (!old) throw new AppError("not_found", "No such key.");
    if (credentialStatus(old, now) !== "active")
      throw new AppError("conflict", `Key ${old.prefix}… is no longer active; issue a new key instead.`);
    const { maxKeyTtlSeconds } = await tx.workspace.findUniqueOrThrow({
      where: { id: input.workspaceId },
      select: { maxKeyTtlSeconds: true },
    });
    // Same lifetime as the old key, unless the workspace has since lowered its maximum.
    const lifetimeSeconds = Math.min(
      maxKeyTtlSeconds,
      Math.max(1, Math.round((old.expiresAt.getTime() - old.createdAt.getTime()) / 1000)),
    );
    const issued = await issueCredentialIn(tx, {
      workspaceId: input.workspaceId,
      actor: input.actor,
      identityId: old.identityId,
      expiresInSeconds: lifetimeSeconds,
      dailyWriteCeiling: old.dailyWriteCeiling,
      dailyUsdLimitMicros: old.dailyUsdLimitMicros,
      rotatedFromId: old.id,
      reason: input.reason,
      now,
    });
    const expiresAt = rotatedExpiry(old.expiresAt, now, input.overlapSeconds);
    await tx.credential.update({ where: { id: old.id }, data: { expiresAt } });
    await writeAudit(tx, {
      workspaceId: input.workspaceId,
      actor: input.actor,
      action: "credential.overlap_set",
      target: old.id,
      reason: input.reason,
      details: { prefix: old.prefix, expiresAt, overlapSeconds: input.overlapSeconds, replacedBy: issued.id },
    });
    return { ...issued, previous: { id: old.id, expiresAt } };
  });
}
