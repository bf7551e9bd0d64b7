import "server-only";
import { AppError } from "@/lib/core/errors";
import type { Role } from "@/lib/core/roles";
import { writeAudit, type Actor } from "../audit";
import type { Tx } from "../db";

/**
 * Makes a user a member (refusing a second membership) and audits it, inside the caller's transaction.
 * The workspace's event says nothing about the user beyond this workspace — not whether the account
 * was just created or already existed elsewhere: the workspace's auditors read it.
 */
export async function addMembershipIn(
  tx: Tx,
  input: { workspaceId: string; userId: string; email: string; displayName?: string | null; role: Role; actor: Actor },
): Promise<void> {
  const existing = await tx.membership.findUnique({
    where: { workspaceId_userId: { workspaceId: input.workspaceId, userId: input.userId } },
    select: { role: true },
  });
  if (existing) throw new AppError("already_exists", `${input.email} is already a member (${existing.role}).`);
  await tx.membership.create({
    data: {
      workspaceId: input.workspaceId,
      userId: input.userId,
      role: input.role,
      displayName: input.displayName ?? null,
    },
  });
  await writeAudit(tx, {
    workspaceId: input.workspaceId,
    actor: input.actor,
    action: "member.added",
    target: input.email,
    details: { userId: input.userId, role: input.role },
  });
}

/** A new account, audited outside any workspace (like sign-ins): which workspaces hold a person is no tenant's business. */
export async function auditUserCreatedIn(tx: Tx, input: { userId: string; email: string; actor: Actor; via: string }) {
  await writeAudit(tx, {
    workspaceId: null,
    actor: input.actor,
    action: "user.created",
    target: input.email,
    details: { userId: input.userId, via: input.via },
  });
}
