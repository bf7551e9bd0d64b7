import "server-only";
import { getDb } from "../db";

export async function listMembers(workspaceId: string) {
  const rows = await getDb().membership.findMany({
    where: { workspaceId },
    select: {
      role: true,
      createdAt: true,
      user: { select: { id: true, email: true, name: true, lastSignInAt: true, mustChangePassword: true } },
    },
    orderBy: [{ role: "asc" }, { user: { email: "asc" } }],
  });
  return rows.map((r) => ({ ...r.user, role: r.role, memberSince: r.createdAt }));
}
export type MemberRow = Awaited<ReturnType<typeof listMembers>>[number];
