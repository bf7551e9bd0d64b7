import "server-only";
import { AppError } from "@/lib/core/errors";
import { can } from "@/lib/core/roles";
import { ACTIVE, changeEscalation, type EscalationChange } from "./change-escalation";

/** Hands an active escalation to an operator or admin of the same workspace (and so acknowledges it). */
export function reassignEscalation(input: EscalationChange & { assigneeUserId: string }) {
  return changeEscalation(input, "reassigned", ACTIVE, async (tx, e, now) => {
    const member = await tx.membership.findUnique({
      where: { workspaceId_userId: { workspaceId: input.workspaceId, userId: input.assigneeUserId } },
      select: { role: true },
    });
    if (!member || !can(member.role, "escalations.work")) {
      throw new AppError("validation_failed", "Assign to an operator or admin of this workspace.", {
        field: "assigneeUserId",
      });
    }
    return tx.escalation.update({
      where: { id: e.id },
      data: { assigneeUserId: input.assigneeUserId, status: "acknowledged", updatedAt: now },
    });
  });
}
