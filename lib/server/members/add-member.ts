import "server-only";
import { newId } from "@/lib/core/ids";
import type { Role } from "@/lib/core/roles";
import type { Actor } from "../audit";
import { getDb } from "../db";
import { generatePassword, hashPassword } from "../passwords";
import { addMembershipIn, auditUserCreatedIn } from "./add-membership";

export type AddMemberResult = {
  userId: string;
  email: string;
  role: Role;
  /**
   * Shown once, never stored in clear. Always present, whether or not the email already has an
   * account: the admin must not learn which (issue #17, finding 8). It is the new account's first
   * password when there was none; for an existing account it is not stored at all, and the person
   * signs in with their own password and finds the workspace in their list.
   */
  oneTimePassword: string;
};

/**
 * Adds a person to a workspace. An unknown email creates the user with the
 * one-time password, which they must change at first sign-in. The two cases
 * look the same to the caller, take the same time (the hash is made either
 * way, before the transaction: bcrypt is slow and must not hold locks), and
 * leave the same event in the workspace's audit trail.
 */
export async function addMember(input: {
  workspaceId: string;
  actor: Actor;
  email: string;
  name?: string;
  role: Role;
}): Promise<AddMemberResult> {
  const db = getDb();
  const email = input.email.toLowerCase();
  const oneTimePassword = generatePassword();
  const passwordHash = await hashPassword(oneTimePassword);

  return db.$transaction(async (tx) => {
    let user = await tx.user.findUnique({ where: { email }, select: { id: true } });
    if (!user) {
      user = await tx.user.create({
        data: { id: newId("usr"), email, name: input.name ?? null, passwordHash, mustChangePassword: true },
        select: { id: true },
      });
      await auditUserCreatedIn(tx, { userId: user.id, email, actor: input.actor, via: "member.add" });
    }
    await addMembershipIn(tx, {
      workspaceId: input.workspaceId,
      userId: user.id,
      email,
      displayName: input.name ?? null,
      role: input.role,
      actor: input.actor,
    });
    return { userId: user.id, email, role: input.role, oneTimePassword };
  });
}
