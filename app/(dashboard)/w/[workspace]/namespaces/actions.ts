"use server";

import { revalidatePath } from "next/cache";
import { workspaceAction } from "@/lib/server/action";
import { createNamespace } from "@/lib/server/namespaces/create-namespace";
import { updateNamespace } from "@/lib/server/namespaces/update-namespace";
import { createNamespaceSchema, updateNamespaceSchema } from "@/lib/validations/identity";

export const createNamespaceAction = workspaceAction(
  { name: "namespace.create", schema: createNamespaceSchema, permission: "workspace.configure" },
  async (input, ctx) => {
    const ns = await createNamespace({ ...input, workspaceId: ctx.workspace.id, actor: ctx.actor });
    revalidatePath(`/w/${ctx.workspace.slug}/namespaces`);
    return { message: `Namespace ${ns.name} created.` };
  },
);

export const updateNamespaceAction = workspaceAction(
  { name: "namespace.update", schema: updateNamespaceSchema, permission: "workspace.configure" },
  async (input, ctx) => {
    const ns = await updateNamespace({ ...input, workspaceId: ctx.workspace.id, actor: ctx.actor });
    revalidatePath(`/w/${ctx.workspace.slug}/namespaces`);
    return { message: `TTL policy of ${ns.name} saved.` };
  },
);
