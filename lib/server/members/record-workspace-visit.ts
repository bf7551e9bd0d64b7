import "server-only";
import { getDb } from "../db";
import { logger } from "../logger";

const LAST_SEEN_RESOLUTION_MS = 60_000;

/**
 * Notes that a member opened a workspace's dashboard: the members page's "last
 * seen here", the workspace's own view of activity (a sign-in is global and says
 * nothing about which workspace the person used). Informational, like a key's
 * `last used`: written at most about once a minute per membership — skipped
 * when the membership read for this request is fresh, and the conditional UPDATE
 * makes concurrent requests on several instances write once. Not audited: it
 * changes nothing anyone acts on, and one event per visit would flood the trail.
 */
export async function recordWorkspaceVisit(
  membership: { workspaceId: string; userId: string; lastSeenAt: Date | null },
  now: Date,
): Promise<void> {
  const last = membership.lastSeenAt?.getTime() ?? 0;
  if (now.getTime() - last < LAST_SEEN_RESOLUTION_MS) return;
  try {
    await getDb().$executeRaw`
      UPDATE membership SET last_seen_at = ${now}
      WHERE workspace_id = ${membership.workspaceId} AND user_id = ${membership.userId}
        AND (last_seen_at IS NULL OR last_seen_at < ${new Date(now.getTime() - LAST_SEEN_RESOLUTION_MS)})`;
  } catch (error) {
    // Never worth failing a page over.
    logger.warn({ err: error, workspaceId: membership.workspaceId }, "could not record a workspace visit");
  }
}
