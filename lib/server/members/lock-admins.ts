import "server-only";
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
