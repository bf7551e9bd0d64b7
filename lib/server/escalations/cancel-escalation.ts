import "server-only";
import { settleEscalation, type EscalationChange } from "./change-escalation";

/** Task → cancelled. */
export function cancelEscalation(input: EscalationChange) {
  return settleEscalation(input, "cancelled", { type: "cancel", reason: input.note }, "cancelled");
}
