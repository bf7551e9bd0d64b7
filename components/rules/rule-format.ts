import type { ActionEffect, Verdict } from "@/lib/core/action-rules";
import { formatDuration } from "@/lib/core/duration";
import type { RuleJson } from "@/lib/server/actions/rules";

/** How the Rules page writes effects, verdicts and amounts. Shared by its server and client parts. */
export const EFFECT_LABEL: Record<ActionEffect, string> = {
  allow: "allow",
  deny: "deny",
  require_approval: "require approval",
};
export const EFFECT_TONE = { allow: "good", deny: "bad", require_approval: "warn" } as const;

export type ShownVerdict = Verdict | "refused";
export const VERDICT_LABEL: Record<ShownVerdict, string> = {
  allowed: "allowed",
  denied: "denied",
  pending_approval: "pending approval",
  refused: "refused (422)",
};
export const VERDICT_TONE = { allowed: "good", denied: "bad", pending_approval: "warn", refused: "bad" } as const;

export const usd = (amount: number | null | undefined) =>
  amount === null || amount === undefined ? null : `$${amount}`;

/** "$5 – $20", "≥ $5", "≤ $20", or "any". */
export function estimateRange(rule: Pick<RuleJson, "minEstimateUsd" | "maxEstimateUsd">): string {
  const min = usd(rule.minEstimateUsd);
  const max = usd(rule.maxEstimateUsd);
  if (min && max) return `${min} – ${max}`;
  if (min) return `≥ ${min}`;
  if (max) return `≤ ${max}`;
  return "any";
}

export function rateLimitText(rule: Pick<RuleJson, "rateLimit">): string {
  const limit = rule.rateLimit;
  if (!limit || (limit.actions === null && limit.usd === null)) return "none";
  return [limit.actions !== null ? `${limit.actions} actions` : null, limit.usd !== null ? `$${limit.usd}` : null]
    .filter(Boolean)
    .join(" · ")
    .concat(" /h");
}

export function timeoutsText(rule: Pick<RuleJson, "approvalTimeoutSeconds" | "completionTimeoutSeconds" | "effect">) {
  const completion = `complete ${formatDuration(rule.completionTimeoutSeconds)}`;
  return rule.effect === "require_approval"
    ? `approve ${formatDuration(rule.approvalTimeoutSeconds)} · ${completion}`
    : completion;
}

/** A maximum only bites on an estimate: a request without one passes it unless the rule requires one. */
export function maxWithoutEstimate(rule: Pick<RuleJson, "maxEstimateUsd" | "requireEstimate">): boolean {
  return rule.maxEstimateUsd !== null && !rule.requireEstimate;
}
export const MAX_WITHOUT_ESTIMATE_WARNING =
  "A request without an estimate passes this rule's maximum: tick “Require an estimate” to close that gap.";
