import "server-only";
import { AppError } from "@/lib/core/errors";
import type { Actor } from "../audit";
import { pgTransaction } from "../db";
import { getNamespaceById } from "../kv/browse";
import { deleteKvEntry } from "../kv/delete-kv-entry";

/**
 * A person deletes a key from the dashboard, naming the namespace by its ID:
 * the namespace must be this workspace's (else not found, as for any ID of
 * another workspace), then the entry goes with its audit event in one
 * transaction — the same delete the agent API runs, without a version
 * precondition.
 */
export async function deleteNamespaceEntry(input: {
  workspaceId: string;
  namespaceId: string;
  key: string;
  actor: Actor;
  reason: string;
  now?: Date;
}) {
  const namespace = await getNamespaceById(input.workspaceId, input.namespaceId);
  if (!namespace) throw new AppError("not_found", "No such namespace in this workspace.");
  return pgTransaction((sql) =>
    deleteKvEntry(sql, {
      workspaceId: input.workspaceId,
      namespace: namespace.name,
      key: input.key,
      precondition: { kind: "none" },
      actor: input.actor,
      reason: input.reason,
      now: input.now ?? new Date(),
    }),
  );
}
