import "server-only";
import { AppError } from "@/lib/core/errors";
import { writeAudit, type Actor } from "../audit";
import { getDb } from "../db";

/** Disabling an identity makes every one of its keys fail on the next call (401). */
export async function setIdentityStatus(input: {
  workspaceId: string;
  actor: Actor;
  identityId?: string;
  identityName?: string;
  status: "active" | "disabled";
  reason: string;
}) {
  return getDb().$transaction(async (tx) => {
    const identity = await tx.identity.findFirst({
      where: {
        workspaceId: input.workspaceId,
        ...(input.identityId ? { id: input.identityId } : { name: input.identityName }),
      },
      select: { id: true, name: true, status: true },
    });
    if (!identity) throw new AppError("not_found", "No such identity in this workspace.");
    const updated = await tx.identity.update({
      where: { id: identity.id },
      data: { status: input.status, statusReason: input.reason },
      select: { id: true, name: true, status: true, statusReason: true, updatedAt: true },
    });
    await writeAudit(tx, {
      workspaceId: input.workspaceId,
      actor: input.actor,
      action: input.status === "disabled" ? "identity.disabled" : "identity.enabled",
      target: identity.name,
      reason: input.reason,
      details: { identityId: identity.id, from: identity.status, to: input.status },
    });
    return updated;
  });
}
