"use server";

import { revalidatePath } from "next/cache";
import type { z } from "zod";
import type { Actor } from "@/lib/server/audit";
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

type InWorkspace<I> = Omit<I, "workspace"> & { workspaceId: string; actor: Actor };

/**
 * One members action: validate, check `members.manage` on the server, hand the
 * service the form's fields in this workspace by this person, refresh the
 * members page, say what happened.
 */
function memberAction<I extends { workspace: string }, R, T = unknown>(
  name: string,
  schema: z.ZodType<I>,
  run: (input: InWorkspace<I>) => Promise<R>,
  reply: (result: R) => { message: string; data?: T },
) {
  return workspaceAction<z.ZodType<I>, T>(
    { name, schema, permission: "members.manage" },
    async ({ workspace: _slug, ...fields }, ctx) => {
      const result = await run({ ...fields, workspaceId: ctx.workspace.id, actor: ctx.actor });
      revalidatePath(`/w/${ctx.workspace.slug}/settings/members`);
      return reply(result);
    },
  );
}

export const addMemberAction = memberAction("member.add", addMemberSchema, addMember, (result) => ({
  // One message whether or not the email already has an account: this admin must not learn which.
  message: `Added ${result.email} as ${result.role}. Give them the one-time password below; it will not be shown again.`,
  data: { email: result.email, oneTimePassword: result.oneTimePassword },
}));

export const changeMemberRoleAction = memberAction(
  "member.change_role",
  changeMemberRoleSchema,
  changeMemberRole,
  (result) => ({
    message: result.from === result.to ? "Role unchanged." : `Role changed from ${result.from} to ${result.to}.`,
  }),
);

export const removeMemberAction = memberAction("member.remove", removeMemberSchema, removeMember, (result) => ({
  message: `Removed ${result.email} from the workspace.`,
}));

export const signOutMemberEverywhereAction = memberAction(
  "member.sign_out_everywhere",
  signOutMemberSchema,
  signOutMemberEverywhere,
  (result) => {
    const n = result.sessionsEnded;
    return { message: `Signed ${result.email} out everywhere (${n} session${n === 1 ? "" : "s"} ended).` };
  },
);
