import "server-only";
import { AppError } from "@/lib/core/errors";
import type { Role } from "@/lib/core/roles";
import { writeAudit, type Actor } from "../audit";
import type { Tx } from "../db";

/** Makes an existing user a member (refusing a second membership) and audits it, inside the caller's transaction. */
export async function addMembershipIn(
  tx: Tx,
  input: { workspaceId: string; userId: string; email: string; role: Role; actor: Actor; userCreated: boolean },
): Promise<void> {
  const existing = await tx.membership.findUnique({
    where: { workspaceId_userId: { workspaceId: input.workspaceId, userId: input.userId } },
    select: { role: true },
  });
  if (existing) throw new AppError("already_exists", `${input.email} is already a member (${existing.role}).`);
  await tx.membership.create({ data: { workspaceId: input.workspaceId, userId: input.userId, role: input.role } });
  await writeAudit(tx, {
    workspaceId: input.workspaceId,
    actor: input.actor,
    action: "member.added",
    target: input.email,
    details: { userId: input.userId, role: input.role, userCreated: input.userCreated },
  });
}
