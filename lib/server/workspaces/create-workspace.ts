import "server-only";
import { AppError } from "@/lib/core/errors";
import { newId } from "@/lib/core/ids";
import type { CreateWorkspaceInput } from "@/lib/validations/workspace";
import { writeAudit, type Actor } from "../audit";
import { getDb } from "../db";
import { workspaceSelect, type WorkspaceView } from "./workspace-view";

export async function createWorkspace(input: CreateWorkspaceInput & { actor: Actor }): Promise<WorkspaceView> {
  const { actor, slug, ...settings } = input;
  return getDb().$transaction(async (tx) => {
    const taken = await tx.workspace.findUnique({ where: { slug }, select: { id: true } });
    if (taken) throw new AppError("already_exists", `Workspace "${slug}" already exists.`);
    const workspace = await tx.workspace.create({
      data: { id: newId("ws"), slug, ...settings, name: settings.name ?? slug },
      select: workspaceSelect,
    });
    await writeAudit(tx, {
      workspaceId: workspace.id,
      actor,
      action: "workspace.created",
      target: slug,
      details: { settings },
    });
    return workspace;
  });
}
