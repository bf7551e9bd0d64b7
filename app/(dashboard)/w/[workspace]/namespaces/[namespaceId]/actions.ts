"use server";

import { revalidatePath } from "next/cache";
import { z } from "zod";
import { workspaceAction } from "@/lib/server/action";
import { deleteNamespaceEntry } from "@/lib/server/namespaces/delete-namespace-entry";
import { reasonSchema, workspaceSlugSchema } from "@/lib/validations/common";

const deleteEntrySchema = z.object({
  workspace: workspaceSlugSchema,
  namespaceId: z.string().min(1),
  key: z.string().min(1).max(2048),
  reason: reasonSchema,
});

export const deleteEntryAction = workspaceAction(
  { name: "kv.delete", schema: deleteEntrySchema, permission: "workspace.configure" },
  async (input, ctx) => {
    const result = await deleteNamespaceEntry({
      workspaceId: ctx.workspace.id,
      namespaceId: input.namespaceId,
      key: input.key,
      actor: ctx.actor,
      reason: input.reason,
    });
    revalidatePath(`/w/${ctx.workspace.slug}/namespaces/${input.namespaceId}`, "layout");
    return { message: `Deleted ${result.key} (was version ${result.version}).` };
  },
);
