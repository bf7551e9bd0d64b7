import "server-only";
import { AppError } from "@/lib/core/errors";
import { decideMemberChange } from "@/lib/core/roles";
import { writeAudit, type Actor } from "../audit";
import { revokeUserSessions } from "../auth/user-sessions";
import { getDb } from "../db";
import { lockMemberForChange } from "./lock-admins";

export async function removeMember(input: {
  workspaceId: string;
  actor: Actor;
  userId: string;
  reason: string;
}): Promise<{ userId: string; email: string }> {
  return getDb().$transaction(async (tx) => {
    const { adminCount, membership } = await lockMemberForChange(tx, input.workspaceId, input.userId);
    const decision = decideMemberChange({ kind: "remove", currentRole: membership.role }, adminCount);
    if (!decision.allowed) throw new AppError(decision.code, decision.message);

    await tx.membership.delete({
      where: { workspaceId_userId: { workspaceId: input.workspaceId, userId: input.userId } },
      select: { userId: true },
    });
    await writeAudit(tx, {
      workspaceId: input.workspaceId,
      actor: input.actor,
      action: "member.removed",
      target: membership.user.email,
      reason: input.reason,
      details: { userId: input.userId, role: membership.role },
    });
    // Removed means out now: every session of the person ends with the removal — in every
    // workspace they belong to (a session is the person's, not a workspace's); they may sign in again.
    await revokeUserSessions(tx, input.userId, "removed from a workspace", {
      actor: input.actor,
      workspaceId: input.workspaceId,
    });
    return { userId: input.userId, email: membership.user.email };
  });
}
