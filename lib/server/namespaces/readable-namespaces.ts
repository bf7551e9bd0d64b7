import "server-only";
import { decideAccess, type Grant, type Operation } from "@/lib/core/grants";
import type { Tx } from "../db";

/**
 * The ids of the workspace's namespaces that `grants` allow for `operation`, decided by the one
 * grant rule (decideAccess) over the workspace's namespaces (few: admins create them). Lists that
 * an agent reads filter on these in SQL, so a row in a namespace outside the grant is never
 * returned, and pagination stays correct.
 */
export async function namespaceIdsAllowed(
  tx: Tx,
  workspaceId: string,
  grants: readonly Grant[],
  operation: Operation,
): Promise<string[]> {
  const namespaces = await tx.namespace.findMany({ where: { workspaceId }, select: { id: true, name: true } });
  return namespaces.filter((n) => decideAccess(grants, n.name, operation).allowed).map((n) => n.id);
}
