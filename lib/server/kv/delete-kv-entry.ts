import "server-only";
import { AppError } from "@/lib/core/errors";
import type { Precondition } from "@/lib/core/kv";
import { writeAudit, type Actor } from "../audit";
import type { Tx } from "../db";
import { currentVersion } from "./put-kv-entry";
import { resolveNamespace } from "./resolve-namespace";

/** Deletes a live entry (optionally only at a given version); absent or expired → 404. */
export async function deleteKvEntry(
  tx: Tx,
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
  const ns = await resolveNamespace(tx, input.workspaceId, input.namespace);
  const { now } = input;
  const wanted = input.precondition.kind === "match" ? input.precondition.version : null;
  const rows =
    input.precondition.kind === "absent"
      ? []
      : await tx.$queryRaw<{ version: number }[]>`
          DELETE FROM kv_entry
          WHERE namespace_id = ${ns.id} AND key = ${input.key} AND (expires_at IS NULL OR expires_at > ${now})
            AND (${wanted}::int IS NULL OR version = ${wanted}::int)
          RETURNING version`;
  const row = rows[0];
  if (!row) {
    const current = await currentVersion(tx, ns.id, input.key, now);
    if (current === null)
      throw new AppError("not_found", "no such key (or it has expired)", { namespace: ns.name, key: input.key });
    throw new AppError("version_conflict", "the key's version does not match the precondition", {
      namespace: ns.name,
      key: input.key,
      currentVersion: current,
    });
  }
  await writeAudit(tx, {
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
