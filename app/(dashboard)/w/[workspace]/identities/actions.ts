"use server";

import { revalidatePath } from "next/cache";
import { workspaceAction } from "@/lib/server/action";
import { issueCredential } from "@/lib/server/credentials/issue-credential";
import { revokeCredential } from "@/lib/server/credentials/revoke-credential";
import { rotateCredential } from "@/lib/server/credentials/rotate-credential";
import { createIdentity } from "@/lib/server/identities/create-identity";
import { setIdentityGrants } from "@/lib/server/identities/set-identity-grants";
import { setIdentityStatus } from "@/lib/server/identities/set-identity-status";
import {
  createIdentitySchema,
  issueCredentialSchema,
  revokeCredentialSchema,
  rotateCredentialSchema,
  setGrantsSchema,
  setIdentityStatusSchema,
  type IssuedKey,
} from "@/lib/validations/identity";

export const createIdentityAction = workspaceAction(
  { name: "identity.create", schema: createIdentitySchema, permission: "workspace.configure" },
  async (input, ctx) => {
    const identity = await createIdentity({ ...input, workspaceId: ctx.workspace.id, actor: ctx.actor });
    revalidatePath(`/w/${ctx.workspace.slug}/identities`);
    return { message: `Identity ${identity.name} created. Issue it a key from its page.`, data: { id: identity.id } };
  },
);

export const setGrantsAction = workspaceAction(
  { name: "identity.set_grants", schema: setGrantsSchema, permission: "workspace.configure" },
  async (input, ctx) => {
    await setIdentityGrants({ ...input, workspaceId: ctx.workspace.id, actor: ctx.actor });
    revalidatePath(`/w/${ctx.workspace.slug}/identities/${input.identityId}`);
    return { message: "Grants saved. They apply to the agent's next call." };
  },
);

export const setIdentityStatusAction = workspaceAction(
  { name: "identity.set_status", schema: setIdentityStatusSchema, permission: "workspace.configure" },
  async (input, ctx) => {
    const identity = await setIdentityStatus({ ...input, workspaceId: ctx.workspace.id, actor: ctx.actor });
    revalidatePath(`/w/${ctx.workspace.slug}/identities/${input.identityId}`);
    return {
      message:
        identity.status === "disabled"
          ? `${identity.name} is disabled: its keys now get 401.`
          : `${identity.name} is enabled again.`,
    };
  },
);

export const issueCredentialAction = workspaceAction(
  { name: "credential.issue", schema: issueCredentialSchema, permission: "workspace.configure" },
  async (input, ctx) => {
    const issued = await issueCredential({ ...input, workspaceId: ctx.workspace.id, actor: ctx.actor });
    revalidatePath(`/w/${ctx.workspace.slug}/identities/${input.identityId}`);
    return {
      message: "Key issued. Copy it now: it is shown only this once.",
      data: {
        id: issued.id,
        key: issued.key,
        prefix: issued.prefix,
        expiresAt: issued.expiresAt.toISOString(),
      } satisfies IssuedKey,
    };
  },
);

export const revokeCredentialAction = workspaceAction(
  { name: "credential.revoke", schema: revokeCredentialSchema, permission: "workspace.configure" },
  async (input, ctx) => {
    const revoked = await revokeCredential({ ...input, workspaceId: ctx.workspace.id, actor: ctx.actor });
    revalidatePath(`/w/${ctx.workspace.slug}/identities`, "layout");
    return { message: `Key ${revoked.prefix}… revoked. Its next call gets 401.` };
  },
);

export const rotateCredentialAction = workspaceAction(
  { name: "credential.rotate", schema: rotateCredentialSchema, permission: "workspace.configure" },
  async (input, ctx) => {
    const issued = await rotateCredential({ ...input, workspaceId: ctx.workspace.id, actor: ctx.actor });
    revalidatePath(`/w/${ctx.workspace.slug}/identities`, "layout");
    return {
      message: `New key issued; the old one keeps working until ${issued.previous.expiresAt.toISOString()}. Copy the new key now: it is shown only this once.`,
      data: {
        id: issued.id,
        key: issued.key,
        prefix: issued.prefix,
        expiresAt: issued.expiresAt.toISOString(),
      } satisfies IssuedKey,
    };
  },
);
