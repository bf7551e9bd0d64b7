import "server-only";
import { getDb } from "../db";

export async function listUserWorkspaces(userId: string) {
  const rows = await getDb().membership.findMany({
    where: { userId },
    select: { role: true, workspace: { select: { id: true, slug: true, name: true } } },
    orderBy: { workspace: { slug: "asc" } },
  });
  return rows.map((r) => ({ ...r.workspace, role: r.role }));
}
