import "server-only";
import { getDb } from "../db";

export function listWorkflowClasses(workspaceId: string) {
  return getDb().workflowClass.findMany({
    where: { workspaceId },
    orderBy: { name: "asc" },
    include: { _count: { select: { identities: true } } },
  });
}
