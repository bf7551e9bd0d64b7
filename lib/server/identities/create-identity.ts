import "server-only";
import { AppError } from "@/lib/core/errors";
import type { Grant } from "@/lib/core/grants";
import { newId } from "@/lib/core/ids";
import { writeAudit, type Actor } from "../audit";
import { getDb } from "../db";
import { rethrowUnique } from "../prisma-errors";

export async function createIdentity(input: {
  workspaceId: string;
  actor: Actor;
  name: string;
  workflowClass: string;
  description?: string;
  grants: Grant[];
}) {
  return getDb()
    .$transaction(async (tx) => {
      const workflowClass = await tx.workflowClass.findUnique({
        where: { workspaceId_name: { workspaceId: input.workspaceId, name: input.workflowClass } },
        select: { id: true },
      });
      if (!workflowClass)
        throw new AppError("not_found", `No workflow class "${input.workflowClass}" in this workspace.`);
      const identity = await tx.identity.create({
        data: {
          id: newId("idn"),
          workspaceId: input.workspaceId,
          workflowClassId: workflowClass.id,
          name: input.name,
          description: input.description ?? null,
          grants: { create: input.grants },
        },
        include: { grants: { select: { pattern: true, access: true } } },
      });
      await writeAudit(tx, {
        workspaceId: input.workspaceId,
        actor: input.actor,
        action: "identity.created",
        target: input.name,
        details: { identityId: identity.id, workflowClass: input.workflowClass, grants: input.grants },
      });
      return identity;
    })
    .catch((error: unknown) => rethrowUnique(error, `Identity "${input.name}" already exists in this workspace.`));
}
