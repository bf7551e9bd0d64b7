/**
 * Action rules (API.md "Actions — ask before acting", "Rules"): which actions an agent may take
 * outside BaseKV, which need a person's approval, which are denied. `decideAction` is the one
 * authority, for the agent API, the dashboard's simulator and the replay of recorded requests
 * alike. Pure and crypto-free, so the simulator can run it in the browser.
 *
 * Action names look like namespace names and rule patterns match them like grants (a name,
 * `prefix.*` for everything strictly below `prefix`, `*`): the grant functions are reused, so
 * the two can never disagree.
 */
import { isNamespaceName, patternMatches } from "./grants";
import { formatUsdDecimal, toMicroUsd, type MicroUsd } from "./money";

export const ACTION_EFFECTS = ["allow", "deny", "require_approval"] as const;
export type ActionEffect = (typeof ACTION_EFFECTS)[number];
export const RULE_MODES = ["enforce", "shadow"] as const;
export type RuleMode = (typeof RULE_MODES)[number];

/** What an effect does to a request: the status it gives the action. */
export type Verdict = "allowed" | "denied" | "pending_approval";
export const VERDICT_OF_EFFECT: Record<ActionEffect, Verdict> = {
  allow: "allowed",
  deny: "denied",
  require_approval: "pending_approval",
};

/** A new workspace denies actions no rule decides: fail closed. */
export const DEFAULT_ACTION_EFFECT: ActionEffect = "deny";
export const DEFAULT_APPROVAL_TIMEOUT_SECONDS = 3600; // 1h
export const DEFAULT_COMPLETION_TIMEOUT_SECONDS = 900; // 15m, counted from the moment the action becomes allowed
export const REQUIRED_APPROVALS = [1, 2] as const;
export type RequiredApprovals = (typeof REQUIRED_APPROVALS)[number];

/** Action names are namespace names (`payments.refund`, `llm.openai.chat`). */
export const isActionName = isNamespaceName;

/** At most `actions` actions and/or `usd` micro-dollars per identity per hour matched by the rule. */
export type RateLimit = { actions?: number | null; usd?: MicroUsd | number | null };

/**
 * A rule as stored. USD amounts are micro-dollars (`lib/core/money.ts`); timeouts are seconds.
 * Optional fields take the defaults above. A caller's own fields (an `id`, a position) are kept:
 * the decision hands back a copy of the whole rule.
 */
export type ActionRule = {
  name: string;
  /** The pattern: a name, `prefix.*` or `*`. */
  action: string;
  /** A class name: the rule applies only to identities of that class. Absent: to every class. */
  workflowClass?: string | null;
  /** The rule matches only at or above this estimate (and so never a request without one). */
  minEstimateUsd?: MicroUsd | number | null;
  effect: ActionEffect;
  mode: RuleMode;
  /** Told to the agent on deny. */
  message?: string | null;
  /** An `allow` / `require_approval` rule denies a request estimated above this. */
  maxEstimateUsd?: MicroUsd | number | null;
  approvalTimeoutSeconds?: number;
  completionTimeoutSeconds?: number;
  requiredApprovals?: RequiredApprovals;
  /** A request without `estimate.usd` is refused (422 `validation_failed`). */
  requireEstimate?: boolean;
  rateLimit?: RateLimit | null;
};

export type ActionRequest = {
  action: string;
  /** The class of the asking identity. */
  workflowClass: string;
  /** The agent's word: micro-dollars and tokens. */
  estimate?: { usd?: MicroUsd | number | null; tokens?: number | null } | null;
};

export type ShadowVerdict<R extends ActionRule = ActionRule> = { rule: R; wouldBe: Verdict };

export type ActionDecision<R extends ActionRule = ActionRule> = {
  effect: ActionEffect;
  /** A copy of the rule that decided, or null when the workspace's default did. */
  rule: R | null;
  /** Every matching shadow rule's verdict, in rule order. Recorded, never applied. */
  shadow: ShadowVerdict<R>[];
  /** For the agent when denied or refused; null otherwise. */
  message: string | null;
  requiredApprovals: RequiredApprovals;
  approvalTimeoutSeconds: number;
  completionTimeoutSeconds: number;
  /**
   * The request is refused before any action exists (422 `validation_failed`), not denied (403
   * `action_denied`): the deciding rule requires an estimate and none was given, or the name is
   * not an action name. `effect` is then `deny`, so a caller that overlooks it still fails closed.
   */
  refusal?: "estimate_required" | "invalid_action_name";
};

function estimateUsd(request: ActionRequest): MicroUsd | null {
  const usd = request.estimate?.usd;
  return usd === undefined || usd === null ? null : toMicroUsd(usd);
}

function amount(value: MicroUsd | number | null | undefined): MicroUsd | null {
  return value === undefined || value === null ? null : toMicroUsd(value);
}

/**
 * Does this rule concern this request? Its pattern matches the action name, its class (if any)
 * is the caller's, and the estimate is at or above its `minEstimateUsd` (if any). A rule with a
 * minimum never matches a request without an estimate: "at or above" needs an amount — put
 * `requireEstimate` on the rule after it to close that gap.
 */
export function ruleMatches(rule: ActionRule, request: ActionRequest): boolean {
  if (!patternMatches(rule.action, request.action)) return false;
  if (rule.workflowClass != null && rule.workflowClass !== request.workflowClass) return false;
  const min = amount(rule.minEstimateUsd);
  if (min === null) return true;
  const usd = estimateUsd(request);
  return usd !== null && usd >= min;
}

type RuleOutcome = { effect: ActionEffect; message: string | null; refusal?: "estimate_required" };

/** What a matching rule makes of the request, as if it decided (shadow rules are judged the same way). */
function judge(rule: ActionRule, usd: MicroUsd | null): RuleOutcome {
  if (rule.requireEstimate && usd === null) {
    return {
      effect: "deny",
      refusal: "estimate_required",
      message: `Rule "${rule.name}" requires an estimate: send estimate.usd.`,
    };
  }
  const max = amount(rule.maxEstimateUsd);
  if (rule.effect !== "deny" && max !== null && usd !== null && usd > max) {
    return {
      effect: "deny",
      message:
        rule.message ||
        `The estimate of $${formatUsdDecimal(usd)} is above the $${formatUsdDecimal(max)} rule "${rule.name}" allows.`,
    };
  }
  if (rule.effect === "deny") return { effect: "deny", message: rule.message || `Denied by rule "${rule.name}".` };
  return { effect: rule.effect, message: null };
}

/**
 * The decision for one request. `rules` are the workspace's, in order (position 1 first).
 * The first matching `enforce` rule decides; every matching `shadow` rule is judged too and its
 * verdict recorded, never applied; when no enforce rule matches, `defaultEffect` (the workspace's
 * `defaultActionEffect`) decides. Rate limits are not counted here: see `decideRateLimit`.
 */
export function decideAction<R extends ActionRule>(
  rules: readonly R[],
  request: ActionRequest,
  defaultEffect: ActionEffect,
): ActionDecision<R> {
  const defaults = {
    requiredApprovals: 1,
    approvalTimeoutSeconds: DEFAULT_APPROVAL_TIMEOUT_SECONDS,
    completionTimeoutSeconds: DEFAULT_COMPLETION_TIMEOUT_SECONDS,
  } as const;
  if (!isActionName(request.action)) {
    return {
      ...defaults,
      effect: "deny",
      rule: null,
      shadow: [],
      message: `"${request.action}" is not a valid action name (lowercase segments separated by dots, such as payments.refund).`,
      refusal: "invalid_action_name",
    };
  }
  const usd = estimateUsd(request);
  const matching = rules.filter((rule) => ruleMatches(rule, request));
  const shadow = matching
    .filter((rule) => rule.mode === "shadow")
    .map((rule) => ({ rule: structuredClone(rule), wouldBe: VERDICT_OF_EFFECT[judge(rule, usd).effect] }));
  const decider = matching.find((rule) => rule.mode === "enforce");
  if (!decider) {
    return {
      ...defaults,
      effect: defaultEffect,
      rule: null,
      shadow,
      message:
        defaultEffect === "deny"
          ? `No rule allows "${request.action}", and this workspace denies actions by default.`
          : null,
    };
  }
  const outcome = judge(decider, usd);
  return {
    effect: outcome.effect,
    rule: structuredClone(decider),
    shadow,
    message: outcome.message,
    requiredApprovals: decider.requiredApprovals ?? defaults.requiredApprovals,
    approvalTimeoutSeconds: decider.approvalTimeoutSeconds ?? defaults.approvalTimeoutSeconds,
    completionTimeoutSeconds: decider.completionTimeoutSeconds ?? defaults.completionTimeoutSeconds,
    ...(outcome.refusal ? { refusal: outcome.refusal } : {}),
  };
}

/**
 * The enforce rules that apply to a workflow class, in order — what `GET /policy` lists under
 * `actions.rules` so an agent knows in advance which actions need approval.
 */
export function rulesForClass<R extends ActionRule>(rules: readonly R[], workflowClass: string): R[] {
  return rules.filter(
    (rule) => rule.mode === "enforce" && (rule.workflowClass == null || rule.workflowClass === workflowClass),
  );
}

/** What this identity has done in the last hour under the rule: actions counted, micro-dollars summed. */
export type HourlyUsage = { actions: number; usd: MicroUsd | number };

export type RateLimitDecision =
  | { limited: false }
  | { limited: true; by: "actions" | "usd"; limit: number | MicroUsd; used: number | MicroUsd; message: string };

/**
 * Would this request pass the rule's `rateLimit` ("at most N actions and/or $X per identity per
 * hour matched by this rule; beyond it, 429 `action_rate_limited`")? The request itself is the
 * (used + 1)th action and adds its estimate (none: nothing) to the hour's sum: it is admitted
 * while used + 1 ≤ N and used + estimate ≤ X, like a budget reservation. Counting is the caller's.
 */
export function decideRateLimit(
  rule: Pick<ActionRule, "name" | "rateLimit">,
  usage: HourlyUsage,
  estimate?: MicroUsd | number | null,
): RateLimitDecision {
  const limit = rule.rateLimit;
  if (!limit) return { limited: false };
  if (limit.actions != null && usage.actions + 1 > limit.actions) {
    return {
      limited: true,
      by: "actions",
      limit: limit.actions,
      used: usage.actions,
      message: `Rule "${rule.name}" allows at most ${limit.actions} actions per hour for this identity.`,
    };
  }
  const maxUsd = amount(limit.usd);
  if (maxUsd !== null) {
    const used = toMicroUsd(usage.usd);
    if (used + (amount(estimate) ?? 0n) > maxUsd) {
      return {
        limited: true,
        by: "usd",
        limit: maxUsd,
        used,
        message: `Rule "${rule.name}" allows at most $${formatUsdDecimal(maxUsd)} per hour for this identity.`,
      };
    }
  }
  return { limited: false };
}
