import "server-only";
import { settleEscalation, type EscalationChange } from "./change-escalation";

/** Task → committed with the operator's output. */
export function resolveEscalation(input: EscalationChange & { output: unknown }) {
  return settleEscalation(
    input,
    "resolved",
    { type: "resolve", output: input.output, reason: input.note },
    "resolved with output",
  );
}
