import "server-only";
import { getDb } from "../db";

/**
 * The workspace's members, with only what is this workspace's own: the role, the
 * name its admin gave them, when they joined and when they last opened it. Never
 * the user's global state (last sign-in anywhere, whether their one-time password
 * was changed, a name set elsewhere): an admin adding an email must not learn
 * from this page whether, or how, that person uses another workspace.
 */
export async function listMembers(workspaceId: string) {
  const rows = await getDb().membership.findMany({
    where: { workspaceId },
    select: {
      role: true,
      createdAt: true,
      displayName: true,
      lastSeenAt: true,
      user: { select: { id: true, email: true } },
    },
    orderBy: [{ role: "asc" }, { user: { email: "asc" } }],
  });
  return rows.map((r) => ({
    id: r.user.id,
    email: r.user.email,
    name: r.displayName,
    role: r.role,
    memberSince: r.createdAt,
    lastSeenHere: r.lastSeenAt,
  }));
}
export type MemberRow = Awaited<ReturnType<typeof listMembers>>[number];
