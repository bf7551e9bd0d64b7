import "server-only";
import { newId } from "@/lib/core/ids";
import type { Role } from "@/lib/core/roles";
import type { Actor } from "../audit";
import { getDb } from "../db";
import { generatePassword, hashPassword } from "../passwords";
import { addMembershipIn } from "./add-membership";

export type AddMemberResult = {
  userId: string;
  email: string;
  role: Role;
  /** Set only when the user was created: shown once, never stored in clear. */
  oneTimePassword: string | null;
};

/**
 * Adds a person to a workspace. An unknown email creates the user with a
 * one-time password they must change at first sign-in.
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
  // Hash outside the transaction: bcrypt is slow and must not hold locks.
  const oneTimePassword = generatePassword();
  const passwordHash = await hashPassword(oneTimePassword);

  return db.$transaction(async (tx) => {
    let user = await tx.user.findUnique({ where: { email }, select: { id: true } });
    const created = !user;
    user ??= await tx.user.create({
      data: { id: newId("usr"), email, name: input.name ?? null, passwordHash, mustChangePassword: true },
      select: { id: true },
    });
    await addMembershipIn(tx, {
      workspaceId: input.workspaceId,
      userId: user.id,
      email,
      role: input.role,
      actor: input.actor,
      userCreated: created,
    });
    return { userId: user.id, email, role: input.role, oneTimePassword: created ? oneTimePassword : null };
  });
}
