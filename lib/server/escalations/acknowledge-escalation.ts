import "server-only";
import { changeEscalation, type EscalationChange } from "./change-escalation";

/** Open → acknowledged, assigned to the person acknowledging (an agent or the CLI keeps the assignee). */
export function acknowledgeEscalation(input: EscalationChange) {
  return changeEscalation(input, "acknowledged", ["open"], (tx, e, now) =>
    tx.escalation.update({
      where: { id: e.id },
      data: {
        status: "acknowledged",
        assigneeUserId: input.actor.type === "user" ? input.actor.id : e.assigneeUserId,
        updatedAt: now,
      },
    }),
  );
}
