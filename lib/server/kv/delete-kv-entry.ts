import "server-only";
import { AppError } from "@/lib/core/errors";
import type { Precondition } from "@/lib/core/kv";
import type { Actor } from "../audit";
import { writeAuditSql } from "../audit-sql";
import type { Sql } from "../db";
import { currentVersion } from "./put-kv-entry";
import { resolveNamespace } from "./resolve-namespace";

/** Deletes a live entry (optionally only at a given version); absent or expired → 404. */
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
  const ns = await resolveNamespace(sql, input.workspaceId, input.namespace);
  const { now } = input;
  const wanted = input.precondition.kind === "match" ? input.precondition.version : null;
  const rows =
    input.precondition.kind === "absent"
      ? []
      : await sql.query<{ version: number }>(
          `DELETE FROM kv_entry
           WHERE namespace_id = $1 AND key = $2 AND (expires_at IS NULL OR expires_at > $3)
             AND ($4::int IS NULL OR version = $4::int)
           RETURNING version`,
          [ns.id, input.key, now, wanted],
        );
  const row = rows[0];
  if (!row) {
    const current = await currentVersion(sql, ns.id, input.key, now);
    if (current === null)
      throw new AppError("not_found", "no such key (or it has expired)", { namespace: ns.name, key: input.key });
    throw new AppError("version_conflict", "the key's version does not match the precondition", {
      namespace: ns.name,
      key: input.key,
      currentVersion: current,
    });
  }
  await writeAuditSql(sql, {
    workspaceId: input.workspaceId,
    actor: input.actor,
    action: "kv.delete",
    namespace: ns.name,
    target: input.key,
    reason: input.reason,
    correlationId: input.correlationId,
    requestId: input.requestId,
    details: { versionBefore: row.version, versionAfter: null },
  });
  return { namespace: ns.name, key: input.key, deleted: true, version: row.version };
}
