import "server-only";
import { AppError } from "@/lib/core/errors";
import type { Actor } from "../audit";
import { revokeUserSessions } from "../auth/user-sessions";
import { getDb } from "../db";

/**
 * An admin's "sign out everywhere" for a member of their workspace: every
 * session of that person ends on its next request — in every browser and in
 * every workspace they belong to, since a session is the person's. Their
 * password is unchanged. Audited (with the count) in the same transaction.
 */
export async function signOutMemberEverywhere(input: {
  workspaceId: string;
  actor: Actor;
  userId: string;
  reason: string;
}): Promise<{ email: string; sessionsEnded: number }> {
  return getDb().$transaction(async (tx) => {
    const membership = await tx.membership.findUnique({
      where: { workspaceId_userId: { workspaceId: input.workspaceId, userId: input.userId } },
      select: { user: { select: { email: true } } },
    });
    // Only members of the admin's own workspace; anyone else is "not found" (nothing about other tenants).
    if (!membership) throw new AppError("not_found", "No such member in this workspace.");
    const sessionsEnded = await revokeUserSessions(tx, input.userId, input.reason, {
      actor: input.actor,
      workspaceId: input.workspaceId,
    });
    return { email: membership.user.email, sessionsEnded };
  });
}
