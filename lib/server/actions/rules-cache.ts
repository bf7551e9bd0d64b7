import "server-only";
import type { ActionEffect } from "@/lib/core/action-rules";
import type { StoredRule } from "./rules";

/**
 * The action rules this process last read for each workspace, with their version
 * (workspace.action_rules_version, raised in the transaction of every change to them). The
 * one-statement POST /actions decides from these only when the version equals the one in the
 * caller's principal, and the statement then checks that principal's stamp — which covers the
 * version — so a decision is never taken from rules older than the last committed change.
 * Filled only from reads that change no rule (a rule change's own transaction could roll back).
 */
type Remembered = { version: number; rules: StoredRule[]; defaultEffect: ActionEffect };

const MAX_WORKSPACES = 1000;
const remembered = new Map<string, Remembered>();

export function rememberRules(workspaceId: string, entry: Remembered): void {
  const known = remembered.get(workspaceId);
  if (known && known.version > entry.version) return; // an older read arriving late
  if (!known && remembered.size >= MAX_WORKSPACES) remembered.delete(remembered.keys().next().value!);
  remembered.set(workspaceId, entry);
}

/** The rules at exactly this version, if this process has them. */
export function rulesAt(workspaceId: string, version: number): Remembered | null {
  const known = remembered.get(workspaceId);
  return known && known.version === version ? known : null;
}
