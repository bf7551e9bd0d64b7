import "server-only";
import { AppError } from "@/lib/core/errors";
import { decideMemberChange, type Role } from "@/lib/core/roles";
import { writeAudit, type Actor } from "../audit";
import { getDb } from "../db";
import { lockMemberForChange } from "./lock-admins";

export async function changeMemberRole(input: {
  workspaceId: string;
  actor: Actor;
  userId: string;
  role: Role;
  reason?: string;
}): Promise<{ userId: string; from: Role; to: Role }> {
  return getDb().$transaction(async (tx) => {
    const { adminCount, membership } = await lockMemberForChange(tx, input.workspaceId, input.userId);
    if (membership.role === input.role) {
      return { userId: input.userId, from: membership.role, to: input.role };
    }
    const decision = decideMemberChange(
      { kind: "change-role", currentRole: membership.role, nextRole: input.role },
      adminCount,
    );
    if (!decision.allowed) throw new AppError(decision.code, decision.message);

    await tx.membership.update({
      where: { workspaceId_userId: { workspaceId: input.workspaceId, userId: input.userId } },
      data: { role: input.role },
      select: { role: true },
    });
    await writeAudit(tx, {
      workspaceId: input.workspaceId,
      actor: input.actor,
      action: "member.role_changed",
      target: membership.user.email,
      reason: input.reason,
      details: { userId: input.userId, from: membership.role, to: input.role },
    });
    return { userId: input.userId, from: membership.role, to: input.role };
  });
}
