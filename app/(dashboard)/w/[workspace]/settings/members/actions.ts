"use server";

import { revalidatePath } from "next/cache";
import { workspaceAction } from "@/lib/server/action";
import { addMember } from "@/lib/server/members/add-member";
import { changeMemberRole } from "@/lib/server/members/change-member-role";
import { removeMember } from "@/lib/server/members/remove-member";
import { signOutMemberEverywhere } from "@/lib/server/members/sign-out-member";
import {
  addMemberSchema,
  changeMemberRoleSchema,
  removeMemberSchema,
  signOutMemberSchema,
} from "@/lib/validations/members";

export const addMemberAction = workspaceAction(
  { name: "member.add", schema: addMemberSchema, permission: "members.manage" },
  async (input, ctx) => {
    const result = await addMember({
      workspaceId: ctx.workspace.id,
      actor: ctx.actor,
      email: input.email,
      name: input.name,
      role: input.role,
    });
    revalidatePath(`/w/${ctx.workspace.slug}/settings/members`);
    // One message whether or not the email already has an account: this admin must not learn which.
    return {
      message: `Added ${result.email} as ${result.role}. Give them the one-time password below; it will not be shown again.`,
      data: { email: result.email, oneTimePassword: result.oneTimePassword },
    };
  },
);

export const changeMemberRoleAction = workspaceAction(
  { name: "member.change_role", schema: changeMemberRoleSchema, permission: "members.manage" },
  async (input, ctx) => {
    const result = await changeMemberRole({
      workspaceId: ctx.workspace.id,
      actor: ctx.actor,
      userId: input.userId,
      role: input.role,
      reason: input.reason,
    });
    revalidatePath(`/w/${ctx.workspace.slug}/settings/members`);
    return {
      message: result.from === result.to ? "Role unchanged." : `Role changed from ${result.from} to ${result.to}.`,
    };
  },
);

export const removeMemberAction = workspaceAction(
  { name: "member.remove", schema: removeMemberSchema, permission: "members.manage" },
  async (input, ctx) => {
    const result = await removeMember({
      workspaceId: ctx.workspace.id,
      actor: ctx.actor,
      userId: input.userId,
      reason: input.reason,
    });
    revalidatePath(`/w/${ctx.workspace.slug}/settings/members`);
    return { message: `Removed ${result.email} from the workspace.` };
  },
);

export const signOutMemberEverywhereAction = workspaceAction(
  { name: "member.sign_out_everywhere", schema: signOutMemberSchema, permission: "members.manage" },
  async (input, ctx) => {
    const result = await signOutMemberEverywhere({
      workspaceId: ctx.workspace.id,
      actor: ctx.actor,
      userId: input.userId,
      reason: input.reason,
    });
    revalidatePath(`/w/${ctx.workspace.slug}/settings/members`);
    const n = result.sessionsEnded;
    return { message: `Signed ${result.email} out everywhere (${n} session${n === 1 ? "" : "s"} ended).` };
  },
);
