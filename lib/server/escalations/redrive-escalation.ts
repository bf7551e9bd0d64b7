import "server-only";
import { settleEscalation, type EscalationChange } from "./change-escalation";

/** Task → retry_scheduled, due now, with a fresh allowance of attempts; it resumes from its checkpoint. */
export function redriveEscalation(input: EscalationChange) {
  return settleEscalation(input, "redriven", { type: "redrive", reason: input.note }, "redriven");
}
