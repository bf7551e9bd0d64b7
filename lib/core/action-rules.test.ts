import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { patternMatches } from "./grants";
import {
  ACTION_EFFECTS,
  decideAction,
  decideRateLimit,
  DEFAULT_ACTION_EFFECT,
  DEFAULT_APPROVAL_TIMEOUT_SECONDS,
  DEFAULT_COMPLETION_TIMEOUT_SECONDS,
  isActionName,
  ruleMatches,
  rulesForClass,
  VERDICT_OF_EFFECT,
  type ActionDecision,
  type ActionEffect,
  type ActionRequest,
  type ActionRule,
} from "./action-rules";

type Rule = ActionRule & { id: string };

const usd = (dollars: number) => BigInt(Math.round(dollars * 1_000_000));

function rule(id: string, fields: Partial<Rule> = {}): Rule {
  return { id, name: id, action: "*", effect: "allow", mode: "enforce", ...fields };
}

function ask(action: string, fields: Partial<ActionRequest> = {}): ActionRequest {
  return { action, workflowClass: "invoices", ...fields };
}

const ruleId = (d: ActionDecision<Rule>) => d.rule?.id ?? null;

describe("the workspace default", () => {
  it("is deny for a new workspace (fail closed)", () => {
    expect(DEFAULT_ACTION_EFFECT).toBe("deny");
  });

  it.each(ACTION_EFFECTS)("with no rules, %s decides, with the default timeouts and one approval", (effect) => {
    const d = decideAction([], ask("payments.refund"), effect);
    expect(d).toEqual({
      effect,
      rule: null,
      shadow: [],
      message: effect === "deny" ? expect.stringMatching(/denies actions by default/) : null,
      requiredApprovals: 1,
      approvalTimeoutSeconds: 3600,
      completionTimeoutSeconds: 900,
    });
  });

  it("decides when only shadow rules, or only non-matching enforce rules, exist", () => {
    const rules = [rule("shadow-allow", { mode: "shadow", effect: "allow" }), rule("email", { action: "email.send" })];
    const d = decideAction(rules, ask("payments.refund"), "require_approval");
    expect(d).toMatchObject({ effect: "require_approval", rule: null });
    expect(d.shadow.map((s) => s.rule.id)).toEqual(["shadow-allow"]);
  });
});

describe("patterns match action names like grants", () => {
  const table: [pattern: string, action: string, matches: boolean][] = [
    ["payments.*", "payments.refund", true],
    ["payments.*", "payments.refund.partial", true],
    ["payments.*", "payments", false],
    ["payments.*", "paymentsx.refund", false],
    ["payments.refund", "payments.refund", true],
    ["payments.refund", "payments.refund.partial", false],
    ["payments.refund", "payments", false],
    ["llm.openai.*", "llm.openai.chat", true],
    ["llm.openai.*", "llm.anthropic.chat", false],
    ["*", "email.send", true],
    ["*", "email", true],
  ];
  it.each(table)("%s vs %s → %s", (pattern, action, matches) => {
    expect(ruleMatches(rule("r", { action: pattern }), ask(action))).toBe(matches);
    expect(ruleMatches(rule("r", { action: pattern }), ask(action))).toBe(patternMatches(pattern, action));
    const d = decideAction([rule("r", { action: pattern, effect: "allow" })], ask(action), "deny");
    expect(ruleId(d)).toBe(matches ? "r" : null);
  });

  it("prefix.* excludes prefix itself: a rule for the prefix needs its own line", () => {
    const rules = [rule("below", { action: "payments.*", effect: "deny" }), rule("exact", { action: "payments" })];
    expect(ruleId(decideAction(rules, ask("payments"), "deny"))).toBe("exact");
    expect(ruleId(decideAction(rules, ask("payments.refund"), "deny"))).toBe("below");
  });

  it("action names are namespace names", () => {
    for (const ok of ["payments.refund", "llm.openai.chat", "email.send", "a", "x-1.y_2"]) {
      expect(isActionName(ok), ok).toBe(true);
    }
    for (const bad of ["", "Payments.refund", "payments.", ".refund", "payments..refund", "payments.*", "*", "a b"]) {
      expect(isActionName(bad), bad).toBe(false);
    }
  });

  it("refuses an invalid action name before any rule, failing closed", () => {
    const d = decideAction([rule("all", { action: "*" }), rule("s", { mode: "shadow" })], ask("Payments.*"), "allow");
    expect(d).toMatchObject({ effect: "deny", rule: null, shadow: [], refusal: "invalid_action_name" });
    expect(d.message).toMatch(/not a valid action name/);
  });
});

describe("rule order: the first matching enforce rule decides", () => {
  const rules = [
    rule("freeze", { action: "payments.refund", effect: "deny", message: "Refunds are frozen." }),
    rule("payments", { action: "payments.*", effect: "require_approval" }),
    rule("everything", { action: "*", effect: "allow" }),
  ];

  it("names the first match, not the most specific", () => {
    expect(decideAction(rules, ask("payments.refund"), "deny")).toMatchObject({
      effect: "deny",
      message: "Refunds are frozen.",
      rule: { id: "freeze" },
    });
    expect(decideAction(rules, ask("payments.charge"), "deny")).toMatchObject({
      effect: "require_approval",
      message: null,
      rule: { id: "payments" },
    });
    expect(decideAction(rules, ask("email.send"), "deny")).toMatchObject({
      effect: "allow",
      rule: { id: "everything" },
    });
    // The broad rule first shadows the specific ones.
    const reversed = [...rules].reverse();
    expect(ruleId(decideAction(reversed, ask("payments.refund"), "deny"))).toBe("everything");
  });

  it("a deny rule without a message still tells the agent which rule", () => {
    const d = decideAction([rule("no-email", { action: "email.*", effect: "deny" })], ask("email.send"), "allow");
    expect(d.message).toBe('Denied by rule "no-email".');
  });
});

describe("class scoping", () => {
  const rules = [
    rule("invoices-only", { workflowClass: "invoices", effect: "allow" }),
    rule("any-class", { effect: "require_approval" }),
  ];
  it("a rule with a class applies only to identities of that class", () => {
    expect(ruleId(decideAction(rules, ask("email.send", { workflowClass: "invoices" }), "deny"))).toBe("invoices-only");
    expect(ruleId(decideAction(rules, ask("email.send", { workflowClass: "reports" }), "deny"))).toBe("any-class");
    expect(ruleId(decideAction(rules, ask("email.send", { workflowClass: "Invoices" }), "deny"))).toBe("any-class");
  });

  it("the rules listed for a class are its enforce rules, in order", () => {
    const all = [
      rule("a", { workflowClass: "invoices" }),
      rule("b", { workflowClass: "reports" }),
      rule("c"),
      rule("d", { mode: "shadow" }),
      rule("e", { workflowClass: null }),
    ];
    expect(rulesForClass(all, "invoices").map((r) => r.id)).toEqual(["a", "c", "e"]);
    expect(rulesForClass(all, "reports").map((r) => r.id)).toEqual(["b", "c", "e"]);
    expect(rulesForClass(all, "other").map((r) => r.id)).toEqual(["c", "e"]);
  });
});

describe("minEstimateUsd: the rule matches only at or above it", () => {
  const rules = [
    rule("big-refunds", { action: "payments.refund", minEstimateUsd: usd(100), effect: "require_approval" }),
    rule("refunds", { action: "payments.refund", effect: "allow" }),
  ];
  const table: [estimate: ActionRequest["estimate"], decider: string][] = [
    [{ usd: usd(99.999999) }, "refunds"],
    [{ usd: usd(100) }, "big-refunds"],
    [{ usd: usd(100.000001) }, "big-refunds"],
    [{ usd: 100_000_000 }, "big-refunds"],
    [{ usd: 0n }, "refunds"],
    [undefined, "refunds"],
    [null, "refunds"],
    [{}, "refunds"],
    [{ tokens: 1000 }, "refunds"],
    [{ usd: null, tokens: 5 }, "refunds"],
  ];
  it.each(table)("estimate %s → %s", (estimate, decider) => {
    expect(ruleId(decideAction(rules, ask("payments.refund", { estimate }), "deny"))).toBe(decider);
  });

  it("a minimum of 0 matches every request with an estimate, and none without", () => {
    const zero = [rule("with-estimate", { minEstimateUsd: 0n })];
    expect(ruleId(decideAction(zero, ask("a", { estimate: { usd: 0n } }), "deny"))).toBe("with-estimate");
    expect(ruleId(decideAction(zero, ask("a"), "deny"))).toBe(null);
  });
});

describe("maxEstimateUsd: an allow / require_approval rule denies above it", () => {
  const table: [effect: ActionEffect, estimate: ActionRequest["estimate"], effectThen: ActionEffect][] = [
    ["allow", { usd: usd(49.999999) }, "allow"],
    ["allow", { usd: usd(50) }, "allow"],
    ["allow", { usd: usd(50.000001) }, "deny"],
    ["allow", undefined, "allow"],
    ["allow", { tokens: 10 }, "allow"],
    ["require_approval", { usd: usd(50) }, "require_approval"],
    ["require_approval", { usd: usd(51) }, "deny"],
    ["deny", { usd: usd(10) }, "deny"],
    ["deny", { usd: usd(51) }, "deny"],
  ];
  it.each(table)("%s rule, max $50, estimate %s → %s", (effect, estimate, effectThen) => {
    const rules = [rule("capped", { effect, maxEstimateUsd: usd(50) }), rule("fallback", { effect: "allow" })];
    const d = decideAction(rules, ask("payments.refund", { estimate }), "allow");
    // The capped rule decides either way: denying above the maximum is its decision, not a miss.
    expect(d).toMatchObject({ effect: effectThen, rule: { id: "capped" } });
    expect(d.refusal).toBeUndefined();
  });

  it("says why, with exact amounts, unless the rule has its own message", () => {
    const plain = decideAction(
      [rule("refunds", { maxEstimateUsd: usd(50) })],
      ask("payments.refund", { estimate: { usd: usd(50.25) } }),
      "deny",
    );
    expect(plain.message).toBe('The estimate of $50.25 is above the $50 rule "refunds" allows.');
    const own = decideAction(
      [rule("refunds", { maxEstimateUsd: usd(50), message: "Refunds above $50 go through support." })],
      ask("payments.refund", { estimate: { usd: usd(51) } }),
      "deny",
    );
    expect(own.message).toBe("Refunds above $50 go through support.");
  });

  it("micro-dollars as bigint or integer number compare alike", () => {
    const rules = [rule("capped", { maxEstimateUsd: 50_000_000 })];
    for (const estimate of [{ usd: 50_000_001 }, { usd: 50_000_001n }]) {
      expect(decideAction(rules, ask("a", { estimate }), "allow").effect).toBe("deny");
    }
    expect(() => decideAction(rules, ask("a", { estimate: { usd: 0.5 } }), "allow")).toThrow(RangeError);
  });
});

describe("requireEstimate: the deciding rule refuses a request without estimate.usd", () => {
  const rules = [rule("llm", { action: "llm.*", requireEstimate: true, maxEstimateUsd: usd(1) })];
  const table: [estimate: ActionRequest["estimate"], refused: boolean][] = [
    [undefined, true],
    [null, true],
    [{}, true],
    [{ tokens: 1000 }, true],
    [{ usd: null }, true],
    [{ usd: 0n }, false],
    [{ usd: 0 }, false],
    [{ usd: usd(1), tokens: 0 }, false],
  ];
  it.each(table)("estimate %s → refused %s", (estimate, refused) => {
    const d = decideAction(rules, ask("llm.openai.chat", { estimate }), "allow");
    if (refused) {
      expect(d).toMatchObject({ effect: "deny", refusal: "estimate_required", rule: { id: "llm" } });
      expect(d.message).toMatch(/requires an estimate/);
    } else {
      expect(d).toMatchObject({ effect: "allow", rule: { id: "llm" } });
      expect(d).not.toHaveProperty("refusal");
    }
  });

  it("only the deciding rule's requirement counts", () => {
    const later = [rule("first", { effect: "allow" }), rule("second", { requireEstimate: true })];
    expect(decideAction(later, ask("a"), "deny")).toMatchObject({ effect: "allow", rule: { id: "first" } });
  });
});

describe("shadow rules: every match recorded, never applied", () => {
  const rules = [
    rule("shadow-deny", { mode: "shadow", effect: "deny" }),
    rule("shadow-approval", { mode: "shadow", action: "payments.*", effect: "require_approval" }),
    rule("shadow-other", { mode: "shadow", action: "email.*", effect: "deny" }),
    rule("allow-payments", { action: "payments.*", effect: "allow" }),
    rule("shadow-after", { mode: "shadow", action: "payments.refund", effect: "allow", maxEstimateUsd: usd(5) }),
    rule("shadow-needs-estimate", { mode: "shadow", requireEstimate: true, effect: "allow" }),
  ];

  it("judges each matching shadow rule as if it decided, before and after the deciding rule", () => {
    const d = decideAction(rules, ask("payments.refund", { estimate: { usd: usd(10) } }), "deny");
    expect(d).toMatchObject({ effect: "allow", rule: { id: "allow-payments" } });
    expect(d.shadow.map((s) => [s.rule.id, s.wouldBe])).toEqual([
      ["shadow-deny", "denied"],
      ["shadow-approval", "pending_approval"],
      ["shadow-after", "denied"], // above its maximum
      ["shadow-needs-estimate", "allowed"],
    ]);
  });

  it("a shadow rule that would refuse for a missing estimate would have denied", () => {
    const d = decideAction(rules, ask("payments.charge"), "deny");
    expect(d.refusal).toBeUndefined();
    expect(d.shadow.map((s) => [s.rule.id, s.wouldBe])).toEqual([
      ["shadow-deny", "denied"],
      ["shadow-approval", "pending_approval"],
      ["shadow-needs-estimate", "denied"],
    ]);
  });

  it("a shadow verdict is recorded even when the default decides", () => {
    const d = decideAction(rules, ask("email.send"), "allow");
    expect(d).toMatchObject({ effect: "allow", rule: null });
    expect(d.shadow.map((s) => s.rule.id)).toEqual(["shadow-deny", "shadow-other", "shadow-needs-estimate"]);
  });

  it("verdicts name the status an effect gives", () => {
    expect(VERDICT_OF_EFFECT).toEqual({ allow: "allowed", deny: "denied", require_approval: "pending_approval" });
  });
});

describe("what the decision carries", () => {
  it("the deciding rule's timeouts and required approvals, or the defaults", () => {
    const custom = rule("custom", {
      effect: "require_approval",
      approvalTimeoutSeconds: 600,
      completionTimeoutSeconds: 60,
      requiredApprovals: 2,
    });
    expect(decideAction([custom], ask("a"), "deny")).toMatchObject({
      requiredApprovals: 2,
      approvalTimeoutSeconds: 600,
      completionTimeoutSeconds: 60,
    });
    expect(decideAction([rule("plain")], ask("a"), "deny")).toMatchObject({
      requiredApprovals: 1,
      approvalTimeoutSeconds: DEFAULT_APPROVAL_TIMEOUT_SECONDS,
      completionTimeoutSeconds: DEFAULT_COMPLETION_TIMEOUT_SECONDS,
    });
    expect([DEFAULT_APPROVAL_TIMEOUT_SECONDS, DEFAULT_COMPLETION_TIMEOUT_SECONDS]).toEqual([3600, 900]);
  });

  it("a copy of the rule, all its fields kept, so editing the rule later changes nothing decided", () => {
    const original = rule("r", { rateLimit: { actions: 5, usd: 10n }, message: "m", minEstimateUsd: 0n });
    const shadowed = rule("s", { mode: "shadow" });
    const d = decideAction([original, shadowed], ask("a", { estimate: { usd: 1n } }), "deny");
    expect(d.rule).toEqual(original);
    expect(d.rule).not.toBe(original);
    expect(d.shadow[0]!.rule).toEqual(shadowed);
    expect(d.shadow[0]!.rule).not.toBe(shadowed);
    original.effect = "deny";
    original.rateLimit!.actions = 1;
    shadowed.effect = "deny";
    expect(d.rule).toMatchObject({ effect: "allow", rateLimit: { actions: 5 } });
    expect(d.shadow[0]!.rule.effect).toBe("allow");
  });
});

describe("decideRateLimit: at most N actions and/or $X per identity per hour", () => {
  const limited = (rateLimit: ActionRule["rateLimit"]) => ({ name: "refunds", rateLimit });

  it("no limit, nothing limited", () => {
    expect(decideRateLimit(limited(null), { actions: 1e9, usd: 10n ** 15n }, 10n ** 15n)).toEqual({
      limited: false,
    });
    expect(decideRateLimit(limited(undefined), { actions: 0, usd: 0 })).toEqual({ limited: false });
    expect(decideRateLimit(limited({}), { actions: 1e9, usd: 10n ** 15n })).toEqual({ limited: false });
  });

  const table: [
    rateLimit: NonNullable<ActionRule["rateLimit"]>,
    used: { actions: number; usd: bigint },
    estimate: bigint | null,
    by: "actions" | "usd" | null,
  ][] = [
    [{ actions: 3 }, { actions: 0, usd: 0n }, null, null],
    [{ actions: 3 }, { actions: 2, usd: 0n }, null, null], // this one is the 3rd
    [{ actions: 3 }, { actions: 3, usd: 0n }, null, "actions"],
    [{ actions: 0 }, { actions: 0, usd: 0n }, null, "actions"],
    [{ usd: usd(10) }, { actions: 9, usd: usd(9) }, usd(1), null], // exactly fits
    [{ usd: usd(10) }, { actions: 9, usd: usd(9) }, usd(1.000001), "usd"],
    [{ usd: usd(10) }, { actions: 9, usd: usd(10) }, null, null], // no estimate adds nothing
    [{ usd: usd(10) }, { actions: 9, usd: usd(10) }, 1n, "usd"],
    [{ usd: usd(10) }, { actions: 0, usd: usd(11) }, null, "usd"], // an overrun already past it
    [{ usd: usd(10) }, { actions: 0, usd: 0n }, usd(10), null], // one estimate of the whole limit fits
    [{ actions: 5, usd: usd(10) }, { actions: 5, usd: 0n }, 0n, "actions"],
    [{ actions: 5, usd: usd(10) }, { actions: 1, usd: usd(10) }, 1n, "usd"],
    [{ actions: 5, usd: usd(10) }, { actions: 4, usd: usd(5) }, usd(5), null],
    [{ actions: 5, usd: null }, { actions: 4, usd: usd(1e9) }, usd(1e9), null],
    [{ actions: null, usd: usd(1) }, { actions: 1e6, usd: 0n }, usd(1), null],
  ];
  it.each(table)("%o with %o used, estimate %s → %s", (rateLimit, used, estimate, by) => {
    const d = decideRateLimit(limited(rateLimit), used, estimate);
    if (by === null) expect(d).toEqual({ limited: false });
    else expect(d).toMatchObject({ limited: true, by, message: expect.stringContaining('Rule "refunds"') });
  });

  it("reports the limit and the hour's usage in micro-dollars for USD", () => {
    expect(decideRateLimit(limited({ usd: 10_000_000 }), { actions: 0, usd: 9_500_000 }, 1_000_000)).toEqual({
      limited: true,
      by: "usd",
      limit: 10_000_000n,
      used: 9_500_000n,
      message: 'Rule "refunds" allows at most $10 per hour for this identity.',
    });
  });
});

// ---------------------------------------------------------------------------------------------
// Properties over random rule lists and requests.

const segment = fc.constantFrom("a", "b", "c");
const name = fc.array(segment, { minLength: 1, maxLength: 3 }).map((s) => s.join("."));
const pattern = fc.oneof(
  fc.constant("*"),
  name,
  name.map((n) => `${n}.*`),
);
const workflowClass = fc.constantFrom("x", "y");
const micros = fc.bigInt({ min: 0n, max: 5_000_000n });
const effect = fc.constantFrom(...ACTION_EFFECTS);

const ruleFields = fc.record({
  action: pattern,
  workflowClass: fc.option(workflowClass, { nil: null }),
  minEstimateUsd: fc.option(micros, { nil: null }),
  maxEstimateUsd: fc.option(micros, { nil: null }),
  effect,
  mode: fc.constantFrom("enforce", "shadow" as const),
  message: fc.option(fc.constantFrom("stop", ""), { nil: null }),
  requiredApprovals: fc.constantFrom(1, 2 as const),
  requireEstimate: fc.boolean(),
  approvalTimeoutSeconds: fc.option(fc.integer({ min: 1, max: 86400 }), { nil: undefined }),
  completionTimeoutSeconds: fc.option(fc.integer({ min: 1, max: 86400 }), { nil: undefined }),
});
const rules = fc
  .array(ruleFields, { maxLength: 8 })
  .map((list) => list.map((r, i): Rule => ({ ...r, id: `r${i}`, name: `rule ${i}` })));
const request = fc.record({
  action: name,
  workflowClass,
  estimate: fc.option(
    fc.record({ usd: fc.option(micros, { nil: null }), tokens: fc.option(fc.nat(), { nil: null }) }),
    { nil: null },
  ),
});

/** Written out again from API.md, independently of ruleMatches. */
function matchesOracle(r: Rule, q: ActionRequest): boolean {
  const estimate = q.estimate?.usd ?? null;
  return (
    patternMatches(r.action, q.action) &&
    (r.workflowClass === null || r.workflowClass === undefined || r.workflowClass === q.workflowClass) &&
    (r.minEstimateUsd === null || r.minEstimateUsd === undefined || (estimate !== null && estimate >= r.minEstimateUsd))
  );
}

const withoutShadow = ({ shadow: _shadow, ...rest }: ActionDecision<Rule>) => rest;

describe("properties", () => {
  it("the first matching enforce rule decides; the default applies iff no enforce rule matches", () => {
    fc.assert(
      fc.property(rules, request, effect, (list, q, defaultEffect) => {
        const d = decideAction(list, q, defaultEffect);
        const first = list.find((r) => r.mode === "enforce" && matchesOracle(r, q));
        expect(ruleId(d)).toBe(first?.id ?? null);
        if (!first) expect(d.effect).toBe(defaultEffect);
      }),
      { numRuns: 2000 },
    );
  });

  it("the decision is the rule's effect, or deny — and deny only for a reason the rule gives", () => {
    fc.assert(
      fc.property(rules, request, effect, (list, q, defaultEffect) => {
        const d = decideAction(list, q, defaultEffect);
        if (!d.rule) return;
        const estimate = q.estimate?.usd ?? null;
        const refused = Boolean(d.rule.requireEstimate) && estimate === null;
        const overMax =
          d.rule.effect !== "deny" &&
          d.rule.maxEstimateUsd != null &&
          estimate !== null &&
          estimate > BigInt(d.rule.maxEstimateUsd);
        expect(d.effect).toBe(refused || overMax ? "deny" : d.rule.effect);
        expect(d.refusal).toBe(refused ? "estimate_required" : undefined);
        expect(d.message !== null).toBe(d.effect === "deny");
        expect(d.requiredApprovals).toBe(d.rule.requiredApprovals);
      }),
      { numRuns: 2000 },
    );
  });

  it("shadow lists exactly the matching shadow rules, in order", () => {
    fc.assert(
      fc.property(rules, request, effect, (list, q, defaultEffect) => {
        const d = decideAction(list, q, defaultEffect);
        expect(d.shadow.map((s) => s.rule.id)).toEqual(
          list.filter((r) => r.mode === "shadow" && matchesOracle(r, q)).map((r) => r.id),
        );
      }),
      { numRuns: 1000 },
    );
  });

  it("a shadow rule's verdict is what it would decide were it an enforce rule", () => {
    fc.assert(
      fc.property(rules, request, effect, (list, q, defaultEffect) => {
        for (const s of decideAction(list, q, defaultEffect).shadow) {
          const asEnforce = decideAction([{ ...s.rule, mode: "enforce" }], q, defaultEffect);
          expect(s.wouldBe).toBe(VERDICT_OF_EFFECT[asEnforce.effect]);
        }
      }),
      { numRuns: 1000 },
    );
  });

  it("adding a shadow rule anywhere never changes the decision", () => {
    fc.assert(
      fc.property(rules, ruleFields, fc.nat(), request, effect, (list, extra, at, q, defaultEffect) => {
        const shadowRule: Rule = { ...extra, mode: "shadow", id: "extra", name: "extra" };
        const position = at % (list.length + 1);
        const more = [...list.slice(0, position), shadowRule, ...list.slice(position)];
        expect(withoutShadow(decideAction(more, q, defaultEffect))).toEqual(
          withoutShadow(decideAction(list, q, defaultEffect)),
        );
      }),
      { numRuns: 1000 },
    );
  });

  it("removing every shadow rule never changes the decision", () => {
    fc.assert(
      fc.property(rules, request, effect, (list, q, defaultEffect) => {
        const enforced = decideAction(
          list.filter((r) => r.mode === "enforce"),
          q,
          defaultEffect,
        );
        expect(enforced.shadow).toEqual([]);
        expect(withoutShadow(enforced)).toEqual(withoutShadow(decideAction(list, q, defaultEffect)));
      }),
      { numRuns: 1000 },
    );
  });

  it("enforce rules after the deciding one can be reordered or dropped without effect", () => {
    fc.assert(
      fc.property(rules, request, effect, fc.nat(), (list, q, defaultEffect, seed) => {
        const d = decideAction(list, q, defaultEffect);
        if (!d.rule) return;
        const at = list.findIndex((r) => r.id === d.rule!.id);
        const tail = list.slice(at + 1).filter((r) => r.mode === "enforce");
        const reversedAndCut = [...tail].reverse().slice(0, seed % (tail.length + 1));
        const rest = [...list.slice(0, at + 1), ...reversedAndCut];
        expect(withoutShadow(decideAction(rest, q, defaultEffect))).toEqual(withoutShadow(d));
      }),
      { numRuns: 1000 },
    );
  });

  it("never changes the rules it is given", () => {
    fc.assert(
      fc.property(rules, request, effect, (list, q, defaultEffect) => {
        const before = structuredClone(list);
        decideAction(list, q, defaultEffect);
        expect(list).toEqual(before);
      }),
      { numRuns: 300 },
    );
  });
});
