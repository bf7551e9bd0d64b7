import "server-only";
import { encodeCursor } from "@/lib/core/kv";
import type { Sql } from "../db";
import { resolveNamespace } from "./resolve-namespace";

export type KvListItem = {
  key: string;
  version: number;
  expiresAt: Date | null;
  updatedAt: Date;
  updatedByName: string | null;
  updatedByType: string;
};

/** Live entries ordered by key (byte order), keyset-paginated by the last key. */
export async function listKvEntries(
  sql: Sql,
  input: { workspaceId: string; namespace: string; prefix: string; after: string | null; limit: number; now: Date },
): Promise<{ items: KvListItem[]; nextCursor: string | null }> {
  const ns = await resolveNamespace(sql, input.workspaceId, input.namespace);
  const rows = await sql.query<{
    key: string;
    version: number;
    expires_at: Date | null;
    updated_at: Date;
    updated_by_name: string | null;
    updated_by_type: string;
  }>(
    `SELECT key, version, expires_at, updated_at, updated_by_name, updated_by_type::text
     FROM kv_entry
     WHERE namespace_id = $1
       AND key >= $2 AND starts_with(key, $2)
       AND ($3::text IS NULL OR key > $3::text COLLATE "C")
       AND (expires_at IS NULL OR expires_at > $4)
     ORDER BY key
     LIMIT $5`,
    [ns.id, input.prefix, input.after, input.now, input.limit + 1],
  );
  const page = rows.slice(0, input.limit);
  return {
    items: page.map((r) => ({
      key: r.key,
      version: r.version,
      expiresAt: r.expires_at,
      updatedAt: r.updated_at,
      updatedByName: r.updated_by_name,
      updatedByType: r.updated_by_type,
    })),
    nextCursor: rows.length > input.limit ? encodeCursor(page[page.length - 1]!.key) : null,
  };
}
