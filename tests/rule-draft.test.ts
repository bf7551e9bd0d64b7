import { describe, expect, it } from "vitest";
import { decideAction } from "@/lib/core/action-rules";
import {
  decidableRules,
  draftOf,
  draftRulesSchema,
  EMPTY_RULE_FORM,
  parseRuleForm,
  ruleFormFromJson,
} from "@/lib/validations/rule-draft";

const form = (fields: Partial<typeof EMPTY_RULE_FORM>) => ({ ...EMPTY_RULE_FORM, ...fields });

describe("the Rules page's form and drafts (lib/validations/rule-draft.ts)", () => {
  it("reads durations, decimal USD and checkboxes as ruleInputSchema wants them", () => {
    const parsed = parseRuleForm(
      form({
        name: "refunds",
        action: "payments.*",
        effect: "require_approval",
        maxEstimateUsd: "20.000001",
        approvalTimeout: "2h",
        completionTimeout: "90s",
        requiredApprovals: "2",
        requireEstimate: true,
        rateLimitCount: "5",
        rateLimitUsd: "100",
      }),
    );
    expect(parsed).toEqual({
      ok: true,
      rule: expect.objectContaining({
        maxEstimateUsd: 20_000_001n,
        approvalTimeoutSeconds: 7200,
        completionTimeoutSeconds: 90,
        requiredApprovals: 2,
        requireEstimate: true,
        rateLimitCount: 5,
        rateLimitUsd: 100_000_000n,
        workflowClass: null,
      }),
    });
  });

  it("reports every field's error at once, on the form's own field names", () => {
    const parsed = parseRuleForm(
      form({ name: "", action: "Payments", maxEstimateUsd: "1e3", approvalTimeout: "soon", rateLimitCount: "x" }),
    );
    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    expect(Object.keys(parsed.fieldErrors).sort()).toEqual(
      ["action", "approvalTimeout", "maxEstimateUsd", "name", "rateLimitCount"].sort(),
    );
    expect(parsed.fieldErrors.approvalTimeout).toEqual([
      "The approval timeout: a duration such as 30s, 15m, 1h or 2d.",
    ]);
  });

  it("keeps the schema's own cross-field checks (a deny rule has no maximum)", () => {
    const parsed = parseRuleForm(form({ name: "no", action: "*", effect: "deny", maxEstimateUsd: "5" }));
    expect(parsed).toEqual({ ok: false, fieldErrors: { maxEstimateUsd: ["A deny rule denies at any estimate."] } });
  });

  it("a draft carries amounts exactly through JSON, and decides like the saved rules", () => {
    const parsed = parseRuleForm(form({ name: "cap", action: "payments.*", maxEstimateUsd: "0.000001" }));
    if (!parsed.ok) throw new Error("should parse");
    const json = JSON.stringify([draftOf(null, parsed.rule)]);
    const rules = draftRulesSchema.parse(json);
    expect(rules[0]).toMatchObject({ id: "new", position: 1, maxEstimateUsd: 1n });
    const ask = (usd: bigint) =>
      decideAction(rules, { action: "payments.refund", workflowClass: "x", estimate: { usd } }, "deny").effect;
    expect([ask(1n), ask(2n)]).toEqual(["allow", "deny"]);
  });

  it("a saved rule's JSON round-trips through the form", () => {
    const json = {
      id: "rule_1",
      position: 1,
      name: "refunds",
      action: "payments.*",
      workflowClass: "invoices",
      minEstimateUsd: 0.5,
      maxEstimateUsd: 12.25,
      effect: "allow" as const,
      mode: "shadow" as const,
      message: null,
      approvalTimeoutSeconds: 3600,
      completionTimeoutSeconds: 900,
      requiredApprovals: 1 as const,
      requireEstimate: false,
      rateLimit: { actions: 3, usd: null },
    };
    const fields = ruleFormFromJson(json);
    expect(fields).toMatchObject({ minEstimateUsd: "0.5", approvalTimeout: "1h", completionTimeout: "15m" });
    const parsed = parseRuleForm(fields);
    expect(parsed).toMatchObject({
      ok: true,
      rule: { minEstimateUsd: 500_000n, maxEstimateUsd: 12_250_000n, mode: "shadow" },
    });
  });

  it("refuses a draft that is not JSON, not a list, or holds an invalid rule", () => {
    expect(draftRulesSchema.safeParse("{").success).toBe(false);
    expect(draftRulesSchema.safeParse('{"a":1}').success).toBe(false);
    expect(draftRulesSchema.safeParse('[{"id":null,"rule":{"name":"x","action":"*","effect":"maybe"}}]').success).toBe(
      false,
    );
    expect(decidableRules([{ id: null, rule: { name: "x", action: "*", effect: "allow" } }])).toMatchObject({
      ok: true,
    });
  });
});
