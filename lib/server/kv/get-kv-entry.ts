import "server-only";
import { AppError } from "@/lib/core/errors";
import type { Sql } from "../pg";
import { resolveNamespace } from "./resolve-namespace";

export type KvEntryView = {
  namespace: string;
  key: string;
  value: unknown;
  version: number;
  expiresAt: Date | null;
  updatedAt: Date;
};

const GET = `
  SELECT value, version, expires_at AS "expiresAt", updated_at AS "updatedAt"
  FROM kv_entry WHERE namespace_id = $1 AND key = $2 AND (expires_at IS NULL OR expires_at > $3)`;

/** Absent and expired are the same thing to a reader: 404. */
export async function getKvEntry(
  sql: Sql,
  input: { workspaceId: string; namespace: string; key: string; now: Date },
): Promise<KvEntryView> {
  const ns = await resolveNamespace(sql, input.workspaceId, input.namespace);
  const [entry] = await sql.query<Omit<KvEntryView, "namespace" | "key">>(GET, [ns.id, input.key, input.now]);
  if (!entry)
    throw new AppError("not_found", "no such key (or it has expired)", { namespace: input.namespace, key: input.key });
  return { namespace: ns.name, key: input.key, ...entry };
}
