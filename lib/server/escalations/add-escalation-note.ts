import "server-only";
import { changeEscalation, type EscalationChange } from "./change-escalation";

/** A note alone, on any escalation (resolved ones included); the status stays. */
export function addEscalationNote(input: EscalationChange) {
  return changeEscalation(input, "note", ["open", "acknowledged", "resolved"], (tx, e, now) =>
    tx.escalation.update({ where: { id: e.id }, data: { updatedAt: now } }),
  );
}
