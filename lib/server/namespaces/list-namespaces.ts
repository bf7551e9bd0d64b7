import "server-only";
import { getDb } from "../db";

export function listNamespaces(workspaceId: string) {
  return getDb().namespace.findMany({ where: { workspaceId }, orderBy: { name: "asc" } });
}
