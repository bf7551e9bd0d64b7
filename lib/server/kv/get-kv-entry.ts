import "server-only";
import { AppError } from "@/lib/core/errors";
import type { Tx } from "../db";
import { resolveNamespace } from "./resolve-namespace";

export type KvEntryView = {
  namespace: string;
  key: string;
  value: unknown;
  version: number;
  expiresAt: Date | null;
  updatedAt: Date;
};

/** Absent and expired are the same thing to a reader: 404. */
export async function getKvEntry(
  tx: Tx,
  input: { workspaceId: string; namespace: string; key: string; now: Date },
): Promise<KvEntryView> {
  const ns = await resolveNamespace(tx, input.workspaceId, input.namespace);
  const entry = await tx.kvEntry.findFirst({
    where: { namespaceId: ns.id, key: input.key, OR: [{ expiresAt: null }, { expiresAt: { gt: input.now } }] },
    select: { value: true, version: true, expiresAt: true, updatedAt: true },
  });
  if (!entry)
    throw new AppError("not_found", "no such key (or it has expired)", { namespace: input.namespace, key: input.key });
  return { namespace: ns.name, key: input.key, ...entry };
}
