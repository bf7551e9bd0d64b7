/**
 * The action status machine (API.md "Actions — ask before acting", "Statuses") and the approval
 * count ("Rules": two means two different people; an approval binds to the arguments' SHA-256).
 * The transition table is the only authority: services ask `decideActionEvent` or
 * `decideApproval` and persist exactly what they return. Pure: the clock comes in as `now`;
 * arguments come in as their SHA-256 (`lib/core/action-arguments.ts`), so this file needs no
 * crypto and the dashboard can use it.
 */
import type { RequiredApprovals } from "./action-rules";

export const ACTION_STATUSES = [
  "allowed",
  "pending_approval",
  "succeeded",
  "failed",
  "denied",
  "rejected",
  "expired",
  "timed_out",
  "cancelled",
] as const;
export type ActionStatus = (typeof ACTION_STATUSES)[number];

/** Every status but the two an action waits in: nothing moves it on from these. */
export const FINAL_ACTION_STATUSES: readonly ActionStatus[] = ACTION_STATUSES.filter(
  (status) => status !== "allowed" && status !== "pending_approval",
);

/** The moment a request is decided, before any action row exists: the rule's events start here. Never stored. */
export const REQUESTED = "requested";
export type ActionState = ActionStatus | typeof REQUESTED;

export const ACTION_EVENT_TYPES = [
  // The deciding rule's effect (or the workspace default's), when the action is requested.
  "rule_allow",
  "rule_require_approval",
  "rule_deny",
  // People: the approval that completes the count (`decideApproval` says when), or one rejection.
  "approve",
  "reject",
  // The deadlines job.
  "approval_deadline",
  "completion_deadline",
  // The agent.
  "complete",
  "cancel",
] as const;
export type ActionEventType = (typeof ACTION_EVENT_TYPES)[number];

/** `outcome` means: succeeded or failed, as the agent reports. */
type Target = ActionStatus | "outcome";

export const ACTION_TRANSITIONS: Record<ActionState, Partial<Record<ActionEventType, Target>>> = {
  requested: { rule_allow: "allowed", rule_require_approval: "pending_approval", rule_deny: "denied" },
  pending_approval: { approve: "allowed", reject: "rejected", approval_deadline: "expired", cancel: "cancelled" },
  allowed: { complete: "outcome", completion_deadline: "timed_out", cancel: "cancelled" },
  succeeded: {},
  failed: {},
  denied: {},
  rejected: {},
  expired: {},
  timed_out: {},
  cancelled: {},
};

/**
 * What each event does to the estimate held against the spend budgets (API.md "Spend budgets"):
 * reserved when requested (a denied request reserves nothing), settled at `actual` on complete,
 * released on reject, expiry of an approval or cancel, settled at the estimate when an allowed
 * action passes its deadline.
 */
export type ReservationStep = "reserve" | "none" | "keep" | "settle_actual" | "settle_estimate" | "release";
export const RESERVATION_ON_EVENT: Record<ActionEventType, ReservationStep> = {
  rule_allow: "reserve",
  rule_require_approval: "reserve",
  rule_deny: "none",
  approve: "keep",
  reject: "release",
  approval_deadline: "release",
  complete: "settle_actual",
  completion_deadline: "settle_estimate",
  cancel: "release",
};

export type ActionEvent = { type: Exclude<ActionEventType, "complete"> } | { type: "complete"; outcome: Outcome };
export type Outcome = "succeeded" | "failed";

/** Where the action stands: `expiresAt` is the approval deadline while pending, the completion deadline while allowed. */
export type ActionSnapshot = { status: ActionState; expiresAt: Date | null };

/** From the rule's decision (`decideAction`). */
export type ActionTimeouts = { approvalTimeoutSeconds: number; completionTimeoutSeconds: number };

export type ActionRefusal = {
  ok: false;
  code: "invalid_transition";
  message: string;
  details: { from: ActionState; event: ActionEventType } & Record<string, unknown>;
};

export type ActionEventDecision =
  | {
      ok: true;
      to: ActionStatus;
      /** The new deadline: approval while pending, completion while allowed (counted from now), none once final. */
      expiresAt: Date | null;
      reservation: ReservationStep;
    }
  | ActionRefusal;

export function isFinalActionStatus(status: ActionState): boolean {
  return (FINAL_ACTION_STATUSES as readonly string[]).includes(status);
}

export function decideActionEvent(
  action: ActionSnapshot,
  event: ActionEvent,
  timeouts: ActionTimeouts,
  now: Date,
): ActionEventDecision {
  const target = ACTION_TRANSITIONS[action.status][event.type];
  const refuse = (message: string, extra: Record<string, unknown> = {}): ActionRefusal => ({
    ok: false,
    code: "invalid_transition",
    message,
    details: { from: action.status, event: event.type, ...extra },
  });
  if (!target) {
    return refuse(
      action.status === REQUESTED
        ? `an action is first decided by a rule; "${event.type}" comes later`
        : `a ${action.status} action does not accept "${event.type}"`,
    );
  }

  const due = action.expiresAt !== null && now >= action.expiresAt;
  const deadline = action.expiresAt?.toISOString() ?? null;
  switch (event.type) {
    case "approval_deadline":
    case "completion_deadline":
      if (!due) return refuse(`the deadline is not due until ${deadline}`, { expiresAt: deadline });
      break;
    case "approve":
    case "reject":
      // Past the approval deadline the action is expired in all but name (the job has not run
      // yet): a late decision would approve what the agent has been told, or will be, is expired.
      if (due) return refuse(`the approval deadline passed at ${deadline}`, { expiresAt: deadline });
      break;
    // complete and cancel are accepted past the completion deadline until the job has run:
    // settling is never refused, so money already spent is recorded.
  }

  const to: ActionStatus = target === "outcome" ? (event as { outcome: Outcome }).outcome : target;
  const expiresAt =
    to === "pending_approval"
      ? addSeconds(now, timeouts.approvalTimeoutSeconds)
      : to === "allowed"
        ? addSeconds(now, timeouts.completionTimeoutSeconds)
        : null;
  return { ok: true, to, expiresAt, reservation: RESERVATION_ON_EVENT[event.type] };
}

function addSeconds(date: Date, seconds: number): Date {
  return new Date(date.getTime() + seconds * 1000);
}

// ---------------------------------------------------------------------------------------------
// Approvals

/** One person's decision, as stored on the action. `by` identifies the approver (a user id, or the CLI's own). */
export type Approval = {
  by: string;
  decision: "approve" | "reject";
  /** The SHA-256 of the arguments this decision was about. */
  argumentsSha256: string;
  reason: string;
  at: Date;
};

export type ApprovalRequest =
  | {
      by: string;
      decision: "approve";
      reason: string;
      /** The SHA-256 of edited arguments, when the approver changed them; absent: the current ones. */
      argumentsSha256?: string;
    }
  | { by: string; decision: "reject"; reason: string };

export type ApprovalInput = {
  action: ActionSnapshot;
  /** Decisions so far, oldest first. */
  approvals: readonly Approval[];
  requiredApprovals: RequiredApprovals;
  /** The SHA-256 of the arguments now in force: the last edited version, else the agent's. */
  argumentsSha256: string;
  timeouts: ActionTimeouts;
  decision: ApprovalRequest;
  now: Date;
};

export type ApprovalDecision =
  | {
      ok: true;
      /** The decision to append to `approvals`. */
      approval: Approval;
      to: "pending_approval" | "allowed" | "rejected";
      expiresAt: Date | null;
      reservation: ReservationStep;
      /** The arguments in force after this decision (an edit makes them the approver's). */
      argumentsSha256: string;
      /** The approver changed the arguments: store them as `approvedArguments`. */
      argumentsEdited: boolean;
      /** Different people who approved the arguments in force since they were last edited. */
      approvalsCounted: number;
    }
  | ActionRefusal
  | { ok: false; code: "reason_required" | "already_approved"; message: string; details: Record<string, unknown> };

/**
 * The people whose approvals count toward the arguments in force: the unbroken run of approvals
 * of that version at the end of the list. An edit starts a new version, so the run stops at the
 * last approval of another version — even if the arguments were later edited back to an older
 * text, approvals from before are not counted again.
 */
export function countingApprovers(approvals: readonly Approval[], argumentsSha256: string): string[] {
  const people: string[] = [];
  for (let i = approvals.length - 1; i >= 0; i--) {
    const approval = approvals[i]!;
    if (approval.decision !== "approve" || approval.argumentsSha256 !== argumentsSha256) break;
    if (!people.includes(approval.by)) people.unshift(approval.by);
  }
  return people;
}

/**
 * One person approves or rejects a pending action. A reason is required for every decision; one
 * rejection rejects at once; an approval counts for the arguments it approves — approving with
 * edited arguments restarts the count (a second approver approves the edited version); the same
 * person cannot approve the same version twice, so `requiredApprovals: 2` takes two different
 * people. The approval that completes the count allows the action.
 */
export function decideApproval(input: ApprovalInput): ApprovalDecision {
  const { decision, now } = input;
  const transition = decideActionEvent(input.action, { type: decision.decision }, input.timeouts, now);
  if (!transition.ok) return transition;
  if (decision.reason.trim() === "") {
    return {
      ok: false,
      code: "reason_required",
      message: "Say why: every approval or rejection needs a reason (it goes into the audit trail).",
      details: {},
    };
  }

  if (decision.decision === "reject") {
    return {
      ok: true,
      approval: { ...decision, argumentsSha256: input.argumentsSha256, at: now },
      to: "rejected",
      expiresAt: transition.expiresAt,
      reservation: transition.reservation,
      argumentsSha256: input.argumentsSha256,
      argumentsEdited: false,
      approvalsCounted: countingApprovers(input.approvals, input.argumentsSha256).length,
    };
  }

  const approved = decision.argumentsSha256 ?? input.argumentsSha256;
  const argumentsEdited = approved !== input.argumentsSha256;
  const before = argumentsEdited ? [] : countingApprovers(input.approvals, approved);
  if (before.includes(decision.by)) {
    return {
      ok: false,
      code: "already_approved",
      message:
        input.requiredApprovals > 1
          ? "You have already approved this action: another person must give the second approval."
          : "You have already approved this action.",
      details: { by: decision.by },
    };
  }
  const approval: Approval = {
    by: decision.by,
    decision: "approve",
    argumentsSha256: approved,
    reason: decision.reason,
    at: now,
  };
  const approvalsCounted = before.length + 1;
  const common = { ok: true as const, approval, argumentsSha256: approved, argumentsEdited, approvalsCounted };
  if (approvalsCounted >= input.requiredApprovals) {
    return { ...common, to: "allowed", expiresAt: transition.expiresAt, reservation: transition.reservation };
  }
  return { ...common, to: "pending_approval", expiresAt: input.action.expiresAt, reservation: "keep" };
}
