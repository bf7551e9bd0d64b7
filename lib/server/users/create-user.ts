import "server-only";
import { AppError } from "@/lib/core/errors";
import { newId } from "@/lib/core/ids";
import type { Role } from "@/lib/core/roles";
import type { Actor } from "../audit";
import { getDb } from "../db";
import { addMembershipIn, auditUserCreatedIn } from "../members/add-membership";
import { hashPassword } from "../passwords";

/**
 * The CLI's `user create`: a new user with the given password and a role in a
 * workspace, or an existing user (no --password) added to another workspace.
 */
export async function createUser(input: {
  actor: Actor;
  email: string;
  password?: string;
  name?: string;
  workspaceSlug: string;
  role: Role;
}): Promise<{ userId: string; email: string; workspace: string; role: Role; created: boolean }> {
  const db = getDb();
  const email = input.email.toLowerCase();
  const passwordHash = input.password ? await hashPassword(input.password) : null;

  return db.$transaction(async (tx) => {
    const workspace = await tx.workspace.findUnique({ where: { slug: input.workspaceSlug }, select: { id: true } });
    if (!workspace) throw new AppError("not_found", `No workspace "${input.workspaceSlug}".`);
    const existing = await tx.user.findUnique({ where: { email }, select: { id: true } });
    if (existing && passwordHash) {
      throw new AppError(
        "already_exists",
        `User ${email} already exists; omit --password to add them to "${input.workspaceSlug}".`,
      );
    }
    if (!existing && !passwordHash) throw new AppError("validation_failed", "--password is required for a new user.");
    const user =
      existing ??
      (await tx.user.create({
        data: { id: newId("usr"), email, name: input.name ?? null, passwordHash: passwordHash! },
        select: { id: true },
      }));
    if (!existing) await auditUserCreatedIn(tx, { userId: user.id, email, actor: input.actor, via: "user.create" });
    await addMembershipIn(tx, {
      workspaceId: workspace.id,
      userId: user.id,
      email,
      displayName: input.name ?? null,
      role: input.role,
      actor: input.actor,
    });
    return { userId: user.id, email, workspace: input.workspaceSlug, role: input.role, created: !existing };
  });
}
