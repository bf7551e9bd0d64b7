import "server-only";
import { decodeCursor } from "@/lib/core/kv";
import { poolSql } from "../db";
import { getNamespaceById } from "../kv/browse";
import { listKvEntries } from "../kv/list-kv-entries";

/** Keys a page of the dashboard's key browser shows. */
export const BROWSE_PAGE_SIZE = 50;

/**
 * The dashboard's key browser: a namespace of this workspace (by ID) and one
 * page of its live keys in byte order, from `cursor` on. Null when the
 * workspace has no such namespace — another workspace's ID included, so the
 * page cannot tell the two apart.
 */
export async function browseNamespace(input: {
  workspaceId: string;
  namespaceId: string;
  prefix: string;
  cursor: string | null;
  now?: Date;
}) {
  const namespace = await getNamespaceById(input.workspaceId, input.namespaceId);
  if (!namespace) return null;
  const keys = await listKvEntries(poolSql(), {
    workspaceId: input.workspaceId,
    namespace: namespace.name,
    prefix: input.prefix.slice(0, 512),
    after: input.cursor ? decodeCursor(input.cursor) : null,
    limit: BROWSE_PAGE_SIZE,
    now: input.now ?? new Date(),
  });
  return { namespace, keys };
}
