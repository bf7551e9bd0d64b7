import "server-only";
import { AppError } from "@/lib/core/errors";
import type { Tx } from "../db";

/**
 * Counts the workspace's admins while locking their membership rows, so two
 * concurrent demotions or removals cannot both see "another admin is left".
 */
export async function lockAdminCount(tx: Tx, workspaceId: string): Promise<number> {
  const rows = await tx.$queryRaw<{ user_id: string }[]>`
    SELECT user_id FROM membership
    WHERE workspace_id = ${workspaceId} AND role = 'admin'
    FOR UPDATE`;
  return rows.length;
}

/** The member being changed, with the workspace's admin count taken under lock first. */
export async function lockMemberForChange(tx: Tx, workspaceId: string, userId: string) {
  const adminCount = await lockAdminCount(tx, workspaceId);
  const membership = await tx.membership.findUnique({
    where: { workspaceId_userId: { workspaceId, userId } },
    select: { role: true, user: { select: { email: true } } },
  });
  if (!membership) throw new AppError("not_found", "No such member in this workspace.");
  return { adminCount, membership };
}
