"use server";

import { revalidatePath } from "next/cache";
import { workspaceAction } from "@/lib/server/action";
import { createWorkflowClass } from "@/lib/server/workflow-classes/create-workflow-class";
import { updateWorkflowClass } from "@/lib/server/workflow-classes/update-workflow-class";
import { createWorkflowClassSchema, notificationsSchema, updateWorkflowClassSchema } from "@/lib/validations/identity";
import { setNotifications } from "@/lib/server/workflow-classes/set-notifications";

export const createWorkflowClassAction = workspaceAction(
  { name: "workflow_class.create", schema: createWorkflowClassSchema, permission: "workspace.configure" },
  async ({ workspace: _slug, ...input }, ctx) => {
    const wc = await createWorkflowClass({ ...input, workspaceId: ctx.workspace.id, actor: ctx.actor });
    revalidatePath(`/w/${ctx.workspace.slug}/workflows`);
    return { message: `Workflow class ${wc.name} created.` };
  },
);

export const updateWorkflowClassAction = workspaceAction(
  { name: "workflow_class.update", schema: updateWorkflowClassSchema, permission: "workspace.configure" },
  async ({ workspace: _slug, ...input }, ctx) => {
    const wc = await updateWorkflowClass({ ...input, workspaceId: ctx.workspace.id, actor: ctx.actor });
    revalidatePath(`/w/${ctx.workspace.slug}/workflows`);
    return { message: `Retry policy of ${wc.name} saved.` };
  },
);

export const setNotificationsAction = workspaceAction(
  { name: "workflow_class.set_notifications", schema: notificationsSchema, permission: "workspace.configure" },
  async ({ workspace: _slug, ...input }, ctx) => {
    const { secret } = await setNotifications({ ...input, workspaceId: ctx.workspace.id, actor: ctx.actor });
    revalidatePath(`/w/${ctx.workspace.slug}/workflows/${input.classId}`);
    return {
      message: secret
        ? "Saved. Copy the signing secret now: it is shown only this once."
        : "Notification settings saved.",
      data: { secret },
    };
  },
);
