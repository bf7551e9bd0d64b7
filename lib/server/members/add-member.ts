import "server-only";
import { AppError } from "@/lib/core/errors";
import { newId } from "@/lib/core/ids";
import type { Role } from "@/lib/core/roles";
import { writeAudit, type Actor } from "../audit";
import { getDb } from "../db";
import { generatePassword, hashPassword } from "../passwords";

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
    if (!user) {
      user = await tx.user.create({
        data: { id: newId("usr"), email, name: input.name ?? null, passwordHash, mustChangePassword: true },
        select: { id: true },
      });
    } else {
      const existing = await tx.membership.findUnique({
        where: { workspaceId_userId: { workspaceId: input.workspaceId, userId: user.id } },
        select: { role: true },
      });
      if (existing) {
        throw new AppError("already_exists", `${email} is already a member (${existing.role}).`);
      }
    }
    await tx.membership.create({ data: { workspaceId: input.workspaceId, userId: user.id, role: input.role } });
    await writeAudit(tx, {
      workspaceId: input.workspaceId,
      actor: input.actor,
      action: "member.added",
      target: email,
      details: { userId: user.id, role: input.role, userCreated: created },
    });
    return { userId: user.id, email, role: input.role, oneTimePassword: created ? oneTimePassword : null };
  });
}
