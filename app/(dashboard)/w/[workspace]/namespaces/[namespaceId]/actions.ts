"use server";

import { prismaSql } from "@/lib/server/db";
import { revalidatePath } from "next/cache";
import { z } from "zod";
import { workspaceAction } from "@/lib/server/action";
import { getDb } from "@/lib/server/db";
import { deleteKvEntry } from "@/lib/server/kv/delete-kv-entry";
import { AppError } from "@/lib/core/errors";
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
    const ns = await getDb().namespace.findFirst({
      where: { id: input.namespaceId, workspaceId: ctx.workspace.id },
      select: { name: true },
    });
    if (!ns) throw new AppError("not_found", "No such namespace in this workspace.");
    const result = await getDb().$transaction((tx) =>
      deleteKvEntry(prismaSql(tx), {
        workspaceId: ctx.workspace.id,
        namespace: ns.name,
        key: input.key,
        precondition: { kind: "none" },
        actor: ctx.actor,
        reason: input.reason,
        now: new Date(),
      }),
    );
    revalidatePath(`/w/${ctx.workspace.slug}/namespaces/${input.namespaceId}`, "layout");
    return { message: `Deleted ${result.key} (was version ${result.version}).` };
  },
);
