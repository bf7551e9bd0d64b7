import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  ACTION_EVENT_TYPES,
  ACTION_STATUSES,
  ACTION_TRANSITIONS,
  countingApprovers,
  decideActionEvent,
  decideApproval,
  FINAL_ACTION_STATUSES,
  isFinalActionStatus,
  RESERVATION_ON_EVENT,
  type ActionEvent,
  type ActionEventType,
  type ActionState,
  type ActionStatus,
  type Approval,
  type ApprovalInput,
  type ApprovalRequest,
} from "./actions";

const now = new Date("2026-12-10T12:00:00Z");
const later = (seconds: number) => new Date(now.getTime() + seconds * 1000);
const timeouts = { approvalTimeoutSeconds: 3600, completionTimeoutSeconds: 900 };

function event(type: ActionEventType, outcome: "succeeded" | "failed" = "succeeded"): ActionEvent {
  return type === "complete" ? { type, outcome } : { type };
}

/**
 * The whole table, written out as API.md draws it:
 *  (rule: allow) ► allowed ──complete──► succeeded | failed
 *  (rule: require_approval) ► pending_approval ──enough approvals──► allowed
 *    one rejection ► rejected; deadline ► expired; allowed ──deadline──► timed_out
 *    allowed | pending ──cancel──► cancelled
 *  (rule: deny) ► denied
 */
const ALLOWED: Record<ActionState, Partial<Record<ActionEventType, ActionStatus | "succeeded|failed">>> = {
  requested: { rule_allow: "allowed", rule_require_approval: "pending_approval", rule_deny: "denied" },
  pending_approval: { approve: "allowed", reject: "rejected", approval_deadline: "expired", cancel: "cancelled" },
  allowed: { complete: "succeeded|failed", completion_deadline: "timed_out", cancel: "cancelled" },
  succeeded: {},
  failed: {},
  denied: {},
  rejected: {},
  expired: {},
  timed_out: {},
  cancelled: {},
};

const STATES: ActionState[] = ["requested", ...ACTION_STATUSES];
const DEADLINE_EVENTS: ActionEventType[] = ["approval_deadline", "completion_deadline"];

describe("every status × every event", () => {
  for (const status of STATES) {
    for (const type of ACTION_EVENT_TYPES) {
      const expected = ALLOWED[status][type];
      it(`${status} + ${type} → ${expected ?? "409 invalid_transition"}`, () => {
        // Deadline events are judged once due; the others before the deadline.
        const expiresAt = DEADLINE_EVENTS.includes(type) ? now : later(60);
        const decision = decideActionEvent({ status, expiresAt }, event(type), timeouts, now);
        if (!expected) {
          expect(decision).toMatchObject({
            ok: false,
            code: "invalid_transition",
            details: { from: status, event: type },
          });
        } else {
          expect(decision.ok).toBe(true);
          if (decision.ok) expect(expected.split("|")).toContain(decision.to);
        }
      });
    }
  }

  it("the table in code is exactly the promised one", () => {
    for (const status of STATES) {
      expect(Object.keys(ACTION_TRANSITIONS[status]).sort(), status).toEqual(Object.keys(ALLOWED[status]).sort());
    }
    expect(Object.keys(ACTION_TRANSITIONS).sort()).toEqual([...STATES].sort());
  });

  it("the final statuses are exactly those that accept nothing", () => {
    expect([...FINAL_ACTION_STATUSES].sort()).toEqual(
      ["succeeded", "failed", "denied", "rejected", "expired", "timed_out", "cancelled"].sort(),
    );
    for (const status of STATES) {
      expect(isFinalActionStatus(status), status).toBe(Object.keys(ACTION_TRANSITIONS[status]).length === 0);
    }
  });

  it("complete reports the agent's outcome", () => {
    for (const outcome of ["succeeded", "failed"] as const) {
      expect(
        decideActionEvent({ status: "allowed", expiresAt: later(60) }, { type: "complete", outcome }, timeouts, now),
      ).toMatchObject({ ok: true, to: outcome });
    }
  });

  it("a completed or cancelled action cannot be completed again (executed at most once)", () => {
    for (const status of ["succeeded", "failed", "cancelled", "timed_out"] as const) {
      expect(decideActionEvent({ status, expiresAt: null }, event("complete"), timeouts, now)).toMatchObject({
        ok: false,
        code: "invalid_transition",
        details: { from: status },
      });
    }
  });
});

describe("deadlines", () => {
  it("a pending action gets its approval deadline, an allowed one its completion deadline, counted from now", () => {
    const requested = { status: "requested", expiresAt: null } as const;
    expect(decideActionEvent(requested, event("rule_require_approval"), timeouts, now)).toMatchObject({
      to: "pending_approval",
      expiresAt: later(3600),
    });
    expect(decideActionEvent(requested, event("rule_allow"), timeouts, now)).toMatchObject({
      to: "allowed",
      expiresAt: later(900),
    });
    // Approved at 12:30: the completion deadline counts from the approval, not from the request.
    const approvedAt = later(1800);
    expect(
      decideActionEvent({ status: "pending_approval", expiresAt: later(3600) }, event("approve"), timeouts, approvedAt),
    ).toMatchObject({ to: "allowed", expiresAt: new Date(approvedAt.getTime() + 900_000) });
  });

  it("a final status has no deadline", () => {
    for (const [status, type] of [
      ["requested", "rule_deny"],
      ["pending_approval", "reject"],
      ["pending_approval", "cancel"],
      ["allowed", "complete"],
      ["allowed", "cancel"],
    ] as const) {
      expect(
        decideActionEvent({ status, expiresAt: status === "requested" ? null : later(60) }, event(type), timeouts, now),
      ).toMatchObject({ ok: true, expiresAt: null });
    }
  });

  it("the deadline events are refused before the deadline, accepted at and after it", () => {
    for (const [status, type, to] of [
      ["pending_approval", "approval_deadline", "expired"],
      ["allowed", "completion_deadline", "timed_out"],
    ] as const) {
      expect(decideActionEvent({ status, expiresAt: later(1) }, event(type), timeouts, now)).toMatchObject({
        ok: false,
        code: "invalid_transition",
        details: { from: status, event: type, expiresAt: later(1).toISOString() },
      });
      expect(decideActionEvent({ status, expiresAt: now }, event(type), timeouts, now)).toMatchObject({ ok: true, to });
      expect(decideActionEvent({ status, expiresAt: later(-1) }, event(type), timeouts, now)).toMatchObject({
        ok: true,
        to,
      });
    }
  });

  it("no approval or rejection once the approval deadline has passed", () => {
    for (const type of ["approve", "reject"] as const) {
      expect(
        decideActionEvent({ status: "pending_approval", expiresAt: now }, event(type), timeouts, now),
      ).toMatchObject({ ok: false, code: "invalid_transition", details: { expiresAt: now.toISOString() } });
      expect(
        decideActionEvent({ status: "pending_approval", expiresAt: later(1) }, event(type), timeouts, now).ok,
      ).toBe(true);
    }
  });

  it("complete and cancel are accepted past the completion deadline until the job has run (settling is never refused)", () => {
    for (const type of ["complete", "cancel"] as const) {
      expect(decideActionEvent({ status: "allowed", expiresAt: later(-60) }, event(type), timeouts, now).ok).toBe(true);
    }
    expect(
      decideActionEvent({ status: "pending_approval", expiresAt: later(-60) }, event("cancel"), timeouts, now).ok,
    ).toBe(true);
  });
});

describe("the reservation follows the status (API.md Spend budgets)", () => {
  it("reserved when requested, nothing for a denial; settled or released when final", () => {
    expect(RESERVATION_ON_EVENT).toEqual({
      rule_allow: "reserve",
      rule_require_approval: "reserve",
      rule_deny: "none",
      approve: "keep",
      reject: "release",
      approval_deadline: "release",
      complete: "settle_actual",
      completion_deadline: "settle_estimate",
      cancel: "release",
    });
  });

  it("every event that ends an action with a reservation settles or releases it", () => {
    for (const from of ["pending_approval", "allowed"] as const) {
      for (const type of ACTION_EVENT_TYPES) {
        const expiresAt = DEADLINE_EVENTS.includes(type) ? now : later(60);
        const d = decideActionEvent({ status: from, expiresAt }, event(type), timeouts, now);
        if (!d.ok) continue;
        if (isFinalActionStatus(d.to)) expect(["release", "settle_actual", "settle_estimate"]).toContain(d.reservation);
        else expect(d.reservation).toBe("keep");
      }
    }
  });
});

// ---------------------------------------------------------------------------------------------
// Approvals

const V1 = "a".repeat(64);
const V2 = "b".repeat(64);
const V3 = "c".repeat(64);
const pending = { status: "pending_approval", expiresAt: later(3600) } as const;

function approve(by: string, argumentsSha256 = V1, reason = "looks right"): Approval {
  return { by, decision: "approve", argumentsSha256, reason, at: now };
}

function decide(
  decision: ApprovalRequest,
  fields: Partial<Omit<ApprovalInput, "decision">> = {},
): ReturnType<typeof decideApproval> {
  return decideApproval({
    action: pending,
    approvals: [],
    requiredApprovals: 1,
    argumentsSha256: V1,
    timeouts,
    now,
    decision,
    ...fields,
  });
}

describe("decideApproval", () => {
  it("one approval allows a requiredApprovals 1 action, with its completion deadline", () => {
    expect(decide({ by: "alice", decision: "approve", reason: "ok" })).toEqual({
      ok: true,
      approval: { by: "alice", decision: "approve", argumentsSha256: V1, reason: "ok", at: now },
      to: "allowed",
      expiresAt: later(900),
      reservation: "keep",
      argumentsSha256: V1,
      argumentsEdited: false,
      approvalsCounted: 1,
    });
  });

  it("requiredApprovals 2: one approval leaves it pending, the same person twice is refused, a second person allows it", () => {
    const first = decide({ by: "alice", decision: "approve", reason: "ok" }, { requiredApprovals: 2 });
    expect(first).toMatchObject({
      ok: true,
      to: "pending_approval",
      expiresAt: pending.expiresAt,
      approvalsCounted: 1,
    });
    expect(first.ok && first.reservation).toBe("keep");
    const approvals = first.ok ? [first.approval] : [];

    const again = decide({ by: "alice", decision: "approve", reason: "still ok" }, { requiredApprovals: 2, approvals });
    expect(again).toMatchObject({ ok: false, code: "already_approved", details: { by: "alice" } });
    expect(!again.ok && again.message).toMatch(/another person/);

    const second = decide({ by: "bob", decision: "approve", reason: "agreed" }, { requiredApprovals: 2, approvals });
    expect(second).toMatchObject({ ok: true, to: "allowed", expiresAt: later(900), approvalsCounted: 2 });
  });

  it("the same person approving again with the current arguments named explicitly is still the same approval", () => {
    const d = decide(
      { by: "alice", decision: "approve", reason: "ok", argumentsSha256: V1 },
      { requiredApprovals: 2, approvals: [approve("alice")] },
    );
    expect(d).toMatchObject({ ok: false, code: "already_approved" });
  });

  it("one rejection rejects at once, even after approvals, and releases the reservation", () => {
    const d = decide(
      { by: "carol", decision: "reject", reason: "wrong customer" },
      { requiredApprovals: 2, approvals: [approve("alice")] },
    );
    expect(d).toEqual({
      ok: true,
      approval: { by: "carol", decision: "reject", argumentsSha256: V1, reason: "wrong customer", at: now },
      to: "rejected",
      expiresAt: null,
      reservation: "release",
      argumentsSha256: V1,
      argumentsEdited: false,
      approvalsCounted: 1,
    });
    // The person who approved may still reject.
    expect(
      decide(
        { by: "alice", decision: "reject", reason: "changed my mind" },
        { approvals: [approve("alice")], requiredApprovals: 2 },
      ),
    ).toMatchObject({ ok: true, to: "rejected" });
  });

  it("a reason is required for every decision", () => {
    for (const reason of ["", "   ", "\n\t"]) {
      for (const decision of ["approve", "reject"] as const) {
        expect(decide({ by: "alice", decision, reason })).toMatchObject({ ok: false, code: "reason_required" });
      }
    }
  });

  describe("edited arguments restart the count", () => {
    it("an edit with requiredApprovals 1 allows the edited version", () => {
      expect(decide({ by: "alice", decision: "approve", reason: "smaller refund", argumentsSha256: V2 })).toMatchObject(
        {
          ok: true,
          to: "allowed",
          argumentsSha256: V2,
          argumentsEdited: true,
          approval: { argumentsSha256: V2 },
        },
      );
    });

    it("with requiredApprovals 2, the edit is the first approval of the new version; a second person approves that version", () => {
      const edited = decide(
        { by: "bob", decision: "approve", reason: "smaller refund", argumentsSha256: V2 },
        { requiredApprovals: 2, approvals: [approve("alice")] },
      );
      expect(edited).toMatchObject({ ok: true, to: "pending_approval", argumentsEdited: true, approvalsCounted: 1 });
      const approvals = [approve("alice"), approve("bob", V2)];

      // Alice approved V1, not V2: her approval of V2 is a second person's, and allows it.
      expect(
        decide(
          { by: "alice", decision: "approve", reason: "fine" },
          { requiredApprovals: 2, approvals, argumentsSha256: V2 },
        ),
      ).toMatchObject({ ok: true, to: "allowed", argumentsSha256: V2, argumentsEdited: false, approvalsCounted: 2 });
      // Bob cannot count twice for his own edit.
      expect(
        decide(
          { by: "bob", decision: "approve", reason: "fine" },
          { requiredApprovals: 2, approvals, argumentsSha256: V2 },
        ),
      ).toMatchObject({ ok: false, code: "already_approved" });
    });

    it("the same person may approve and then edit: the edit restarts the count with them alone", () => {
      const d = decide(
        { by: "alice", decision: "approve", reason: "fix the amount", argumentsSha256: V2 },
        { requiredApprovals: 2, approvals: [approve("alice")] },
      );
      expect(d).toMatchObject({ ok: true, to: "pending_approval", approvalsCounted: 1, argumentsSha256: V2 });
    });

    it("editing back to an earlier text does not revive the approvals given before", () => {
      const approvals = [approve("alice", V1), approve("bob", V2), approve("carol", V1)];
      expect(countingApprovers(approvals, V1)).toEqual(["carol"]);
      // Alice's first approval was of V1 before two edits: she may approve the current V1, and it counts as the 2nd.
      expect(
        decide(
          { by: "alice", decision: "approve", reason: "ok" },
          { requiredApprovals: 2, approvals, argumentsSha256: V1 },
        ),
      ).toMatchObject({ ok: true, to: "allowed", approvalsCounted: 2 });
    });

    it("a rejection is about the arguments in force (a rejection carries no edit)", () => {
      const d = decide(
        { by: "bob", decision: "reject", reason: "no" },
        { approvals: [approve("alice", V2)], argumentsSha256: V2, requiredApprovals: 2 },
      );
      expect(d).toMatchObject({ ok: true, to: "rejected", approval: { argumentsSha256: V2 }, argumentsEdited: false });
    });
  });

  it("only a pending action, before its deadline, takes a decision (409 invalid_transition with from)", () => {
    for (const status of STATES.filter((s) => s !== "pending_approval")) {
      for (const decision of ["approve", "reject"] as const) {
        expect(
          decide({ by: "alice", decision, reason: "ok" }, { action: { status, expiresAt: later(60) } }),
        ).toMatchObject({
          ok: false,
          code: "invalid_transition",
          details: { from: status, event: decision },
        });
      }
    }
    expect(
      decide(
        { by: "alice", decision: "approve", reason: "ok" },
        { action: { status: "pending_approval", expiresAt: now } },
      ),
    ).toMatchObject({ ok: false, code: "invalid_transition", details: { from: "pending_approval" } });
  });

  it("the status refusal comes before the reason's (a decided action answers 409 whatever the body)", () => {
    expect(
      decide({ by: "alice", decision: "approve", reason: "" }, { action: { status: "allowed", expiresAt: later(60) } }),
    ).toMatchObject({ code: "invalid_transition" });
  });
});

describe("properties of the approval count", () => {
  const people = fc.constantFrom("alice", "bob", "carol", "dave");
  const version = fc.constantFrom(V1, V2, V3);
  const step = fc.record({
    by: people,
    decision: fc.constantFrom("approve", "reject" as const),
    edit: fc.option(version, { nil: undefined }),
  });

  /** Plays decisions from a fresh pending action, as the service would persist them. */
  function play(requiredApprovals: 1 | 2, steps: { by: string; decision: "approve" | "reject"; edit?: string }[]) {
    let status: ActionStatus = "pending_approval";
    let current = V1;
    const approvals: Approval[] = [];
    const log: { accepted: boolean; to?: string; by: string; version: string }[] = [];
    for (const s of steps) {
      const decision: ApprovalRequest =
        s.decision === "approve"
          ? { by: s.by, decision: "approve", reason: "r", ...(s.edit ? { argumentsSha256: s.edit } : {}) }
          : { by: s.by, decision: "reject", reason: "r" };
      const d = decideApproval({
        action: { status, expiresAt: later(3600) },
        approvals,
        requiredApprovals,
        argumentsSha256: current,
        timeouts,
        decision,
        now,
      });
      log.push({
        accepted: d.ok,
        by: s.by,
        version: d.ok ? d.argumentsSha256 : current,
        ...(d.ok ? { to: d.to } : {}),
      });
      if (d.ok) {
        approvals.push(d.approval);
        status = d.to;
        current = d.argumentsSha256;
      }
    }
    return { status, approvals, log, current };
  }

  it("an action is allowed only when requiredApprovals different people approved the version in force, since its last edit", () => {
    fc.assert(
      fc.property(fc.constantFrom(1, 2 as const), fc.array(step, { maxLength: 8 }), (required, steps) => {
        const { status, approvals, current } = play(required, steps);
        if (status === "allowed") {
          const lastRun = countingApprovers(approvals, current);
          expect(lastRun.length).toBe(required);
          expect(new Set(lastRun).size).toBe(required);
          expect(approvals.every((a) => a.decision === "approve")).toBe(true);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it("the first accepted rejection is final, and nothing is accepted after a final status", () => {
    fc.assert(
      fc.property(fc.constantFrom(1, 2 as const), fc.array(step, { maxLength: 8 }), (required, steps) => {
        const { log } = play(required, steps);
        const finalAt = log.findIndex((entry) => entry.accepted && entry.to !== "pending_approval");
        if (finalAt === -1) return;
        expect(log.slice(finalAt + 1).every((entry) => !entry.accepted)).toBe(true);
        const firstReject = steps.findIndex((s, i) => s.decision === "reject" && log[i]!.accepted);
        if (firstReject !== -1) expect(log[firstReject]!.to).toBe("rejected");
      }),
      { numRuns: 2000 },
    );
  });

  it("with requiredApprovals 2, no single person can allow an action alone", () => {
    fc.assert(
      fc.property(fc.array(fc.record({ edit: fc.option(version, { nil: undefined }) }), { maxLength: 8 }), (edits) => {
        const { status } = play(
          2,
          edits.map((e) => ({ by: "alice", decision: "approve" as const, ...e })),
        );
        expect(status).toBe("pending_approval");
      }),
    );
  });
});
