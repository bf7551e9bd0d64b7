import "server-only";
import { formatUsd } from "@/lib/core/money";
import { AppError } from "@/lib/core/errors";
import { newId } from "@/lib/core/ids";
import { decideKeyTtl } from "@/lib/core/credential-policy";
import { generateKey } from "@/lib/core/keys";
import { writeAudit, type Actor } from "../audit";
import { getDb, type Tx } from "../db";

export type IssuedCredential = { id: string; key: string; prefix: string; expiresAt: Date; identityId: string };

/** Issues a key for an identity. The key is returned once and only its hash is stored. */
export async function issueCredential(input: {
  workspaceId: string;
  actor: Actor;
  identityId?: string;
  identityName?: string;
  expiresInSeconds?: number;
  dailyWriteCeiling?: number | null;
  /** The key's daily spend budget in micro-dollars (null: unlimited). */
  dailyUsdLimitMicros?: bigint | null;
  now?: Date;
}): Promise<IssuedCredential> {
  return getDb().$transaction((tx) => issueCredentialIn(tx, input));
}

export async function issueCredentialIn(
  tx: Tx,
  input: Parameters<typeof issueCredential>[0] & { rotatedFromId?: string; reason?: string },
): Promise<IssuedCredential> {
  const now = input.now ?? new Date();
  const identity = await tx.identity.findFirst({
    where: {
      workspaceId: input.workspaceId,
      ...(input.identityId ? { id: input.identityId } : { name: input.identityName }),
    },
    select: { id: true, name: true, status: true, workspace: { select: { maxKeyTtlSeconds: true } } },
  });
  if (!identity) throw new AppError("not_found", "No such identity in this workspace.");
  if (identity.status !== "active")
    throw new AppError("conflict", `Identity "${identity.name}" is disabled: enable it before issuing keys.`);
  const ttl = decideKeyTtl(input.expiresInSeconds, identity.workspace.maxKeyTtlSeconds);
  if (!ttl.ok) throw new AppError("validation_failed", ttl.message, { field: "expiresInSeconds" });

  const { key, hash, prefix } = generateKey();
  const credential = await tx.credential.create({
    data: {
      id: newId("cred"),
      workspaceId: input.workspaceId,
      identityId: identity.id,
      keyHash: hash,
      prefix,
      expiresAt: new Date(now.getTime() + ttl.seconds * 1000),
      dailyWriteCeiling: input.dailyWriteCeiling ?? null,
      dailyUsdLimitMicros: input.dailyUsdLimitMicros ?? null,
      createdBy: input.actor.name,
      rotatedFromId: input.rotatedFromId ?? null,
      createdAt: now,
    },
    select: { id: true, prefix: true, expiresAt: true },
  });
  await writeAudit(tx, {
    workspaceId: input.workspaceId,
    actor: input.actor,
    action: input.rotatedFromId ? "credential.rotated" : "credential.issued",
    target: credential.id,
    reason: input.reason,
    details: {
      identity: identity.name,
      prefix,
      expiresAt: credential.expiresAt,
      dailyWriteCeiling: input.dailyWriteCeiling ?? null,
      dailyUsd: input.dailyUsdLimitMicros == null ? null : formatUsd(input.dailyUsdLimitMicros),
      rotatedFromId: input.rotatedFromId ?? null,
    },
  });
  return { id: credential.id, key, prefix, expiresAt: credential.expiresAt, identityId: identity.id };
}
