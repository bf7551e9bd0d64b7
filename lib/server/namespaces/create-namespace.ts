import "server-only";
import { newId } from "@/lib/core/ids";
import { writeAudit, type Actor } from "../audit";
import { getDb } from "../db";
import { rethrowUnique } from "../prisma-errors";

export type NamespaceInput = {
  name: string;
  description?: string;
  defaultTtlSeconds: number | null;
  maxTtlSeconds: number | null;
};

export async function createNamespace(input: NamespaceInput & { workspaceId: string; actor: Actor }) {
  const { workspaceId, actor } = input;
  const fields = {
    name: input.name,
    description: input.description ?? null,
    defaultTtlSeconds: input.defaultTtlSeconds,
    maxTtlSeconds: input.maxTtlSeconds,
  };
  return getDb()
    .$transaction(async (tx) => {
      const namespace = await tx.namespace.create({
        data: { id: newId("ns"), workspaceId, ...fields },
      });
      await writeAudit(tx, {
        workspaceId,
        actor,
        action: "namespace.created",
        namespace: fields.name,
        target: fields.name,
        details: fields,
      });
      return namespace;
    })
    .catch((error: unknown) => rethrowUnique(error, `Namespace "${fields.name}" already exists in this workspace.`));
}
