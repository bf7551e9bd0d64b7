import "server-only";
import { AppError } from "@/lib/core/errors";
import type { Grant } from "@/lib/core/grants";
import { writeAudit, type Actor } from "../audit";
import { getDb } from "../db";

/** Replaces the identity's grants; takes effect on the agent's next call. */
export async function setIdentityGrants(input: {
  workspaceId: string;
  actor: Actor;
  identityId: string;
  grants: Grant[];
  reason: string;
}) {
  return getDb().$transaction(async (tx) => {
    const identity = await tx.identity.findFirst({
      where: { id: input.identityId, workspaceId: input.workspaceId },
      select: {
        id: true,
        name: true,
        grants: { select: { pattern: true, access: true }, orderBy: { pattern: "asc" } },
      },
    });
    if (!identity) throw new AppError("not_found", "No such identity in this workspace.");
    await tx.identityGrant.deleteMany({ where: { identityId: identity.id } });
    await tx.identityGrant.createMany({ data: input.grants.map((g) => ({ ...g, identityId: identity.id })) });
    await writeAudit(tx, {
      workspaceId: input.workspaceId,
      actor: input.actor,
      action: "identity.grants_changed",
      target: identity.name,
      reason: input.reason,
      details: { identityId: identity.id, before: identity.grants, after: input.grants },
    });
    return { identityId: identity.id, grants: input.grants };
  });
}
