import "server-only";
import { AppError } from "@/lib/core/errors";
import type { Tx } from "../db";

export type NamespacePolicy = {
  id: string;
  name: string;
  defaultTtlSeconds: number | null;
  maxTtlSeconds: number | null;
};

/** After the grant check: a namespace the workspace does not have is 404 (API.md). */
export async function resolveNamespace(tx: Tx, workspaceId: string, name: string): Promise<NamespacePolicy> {
  const namespace = await tx.namespace.findUnique({
    where: { workspaceId_name: { workspaceId, name } },
    select: { id: true, name: true, defaultTtlSeconds: true, maxTtlSeconds: true },
  });
  if (!namespace)
    throw new AppError("not_found", `namespace "${name}" does not exist in this workspace`, { namespace: name });
  return namespace;
}
