import "server-only";
import { AppError } from "@/lib/core/errors";
import type { Precondition } from "@/lib/core/kv";
import type { Actor } from "../audit";
import type { Sql } from "../db";
import { namespaceNotFound } from "./resolve-namespace";
import { writeParams } from "./write-params";

type KvDeleteRow = {
  outcome: "deleted" | "no_namespace" | "not_found" | "version_conflict";
  version: number | null;
  current_version: number | null;
};

const KV_DELETE = `SELECT * FROM kv_delete($1, $2, $3, $4, $5, $6, $7::actor_type, $8, $9, $10, $11, $12)`;

/**
 * Deletes a live entry (optionally only at a given version): one call of the database's
 * `kv_delete` (prisma/sql/kv_delete.sql), the delete and its audit event together; a refusal
 * deleted nothing and is turned into its error here (absent or expired → 404).
 */
export async function deleteKvEntry(
  sql: Sql,
  input: {
    workspaceId: string;
    namespace: string;
    key: string;
    precondition: Precondition;
    actor: Actor;
    reason: string | null;
    correlationId?: string | null;
    requestId?: string | null;
    now: Date;
  },
): Promise<{ namespace: string; key: string; deleted: true; version: number }> {
  const { namespace, key } = input;
  const [row] = await sql.query<KvDeleteRow>(KV_DELETE, [input.workspaceId, namespace, key, ...writeParams(input)]);
  switch (row!.outcome) {
    case "deleted":
      return { namespace, key, deleted: true, version: row!.version! };
    case "no_namespace":
      throw namespaceNotFound(namespace);
    case "not_found":
      throw new AppError("not_found", "no such key (or it has expired)", { namespace, key });
    default:
      throw new AppError("version_conflict", "the key's version does not match the precondition", {
        namespace,
        key,
        currentVersion: row!.current_version,
      });
  }
}
