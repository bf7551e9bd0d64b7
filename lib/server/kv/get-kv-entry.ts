import "server-only";
import { AppError } from "@/lib/core/errors";
import type { Sql } from "../db";
import { namespaceNotFound } from "./resolve-namespace";

export type KvEntryView = {
  namespace: string;
  key: string;
  value: unknown;
  version: number;
  expiresAt: Date | null;
  updatedAt: Date;
};

// The namespace and the live entry in one round trip: no namespace → 404 naming it; no entry → 404.
const GET = `
  SELECT n.name, e.value, e.version, e.expires_at AS "expiresAt", e.updated_at AS "updatedAt"
  FROM namespace n
  LEFT JOIN kv_entry e ON e.namespace_id = n.id AND e.key = $3 AND (e.expires_at IS NULL OR e.expires_at > $4)
  WHERE n.workspace_id = $1 AND n.name = $2`;

/** Absent and expired are the same thing to a reader: 404. */
export async function getKvEntry(
  sql: Sql,
  input: { workspaceId: string; namespace: string; key: string; now: Date },
): Promise<KvEntryView> {
  const [row] = await sql.query<
    Omit<KvEntryView, "namespace" | "key" | "version"> & { name: string; version: number | null }
  >(GET, [input.workspaceId, input.namespace, input.key, input.now]);
  if (!row) throw namespaceNotFound(input.namespace);
  if (row.version === null)
    throw new AppError("not_found", "no such key (or it has expired)", { namespace: input.namespace, key: input.key });
  return {
    namespace: row.name,
    key: input.key,
    value: row.value,
    version: row.version,
    expiresAt: row.expiresAt,
    updatedAt: row.updatedAt,
  };
}
