import { describe, expect, it } from "vitest";
import { decidableRule, draftFromJson, NEW_RULE_ID } from "@/lib/validations/rule-draft";
import { ruleInputSchema } from "@/lib/validations/actions";
import { requestTestAction, seedAgent, seedRule } from "@/tests/agent-fixtures";
import { testActor } from "@/tests/fixtures";
import { getDb } from "../db";
import { updateWorkspace } from "../workspaces/update-workspace";
import { cancelAction } from "./change-action";
import { decideOnAction } from "./decide-approval";
import { replayRules } from "./replay";
import { loadRules, ruleJson } from "./rules";

type Agent = Awaited<ReturnType<typeof seedAgent>>;
const HOUR = 3_600_000;

/** The saved rules as a draft the matcher reads, with `edit` applied to the rule named `name`. */
async function draftOf(agent: Agent, edits: Record<string, Record<string, unknown>> = {}) {
  const { rules } = await loadRules(getDb(), agent.workspace.id);
  return rules.map((stored, index) => {
    const draft = draftFromJson(ruleJson(stored));
    const rule = ruleInputSchema.parse({ ...draft.rule, ...(edits[stored.name] ?? {}) });
    return decidableRule(stored.id, index + 1, rule);
  });
}

const ask = (agent: Agent, action: string, usd?: number, now?: Date) =>
  requestTestAction(agent, { action, ...(usd === undefined ? {} : { estimate: { usd } }) }, now);

describe("replayRules: the last 7 days' requests decided again by a draft", () => {
  it("the same rules change nothing; a lower maximum denies what it allowed; the default decides the rest", async () => {
    const agent = await seedAgent();
    await seedRule(agent, { name: "refunds", action: "payments.*", effect: "allow" });
    const small = await ask(agent, "payments.refund", 5);
    const big = await ask(agent, "payments.refund", 50);
    const unestimated = await ask(agent, "payments.refund");
    const other = await ask(agent, "email.send", 1); // the default (deny) decides
    expect([small.status, big.status, unestimated.status, other.status]).toEqual([
      "allowed",
      "allowed",
      "allowed",
      "denied",
    ]);

    const same = await replayRules({
      workspaceId: agent.workspace.id,
      draft: await draftOf(agent),
      defaultEffect: "deny",
    });
    expect(same).toMatchObject({ total: 4, changed: 0, capped: false, transitions: [], changes: [] });

    const lower = await replayRules({
      workspaceId: agent.workspace.id,
      draft: await draftOf(agent, { refunds: { maxEstimateUsd: "20" } }),
      defaultEffect: "deny",
    });
    // The request without an estimate passes the maximum (the dashboard warns about that).
    expect(lower).toMatchObject({
      total: 4,
      changed: 1,
      transitions: [{ from: "allowed", to: "denied", count: 1 }],
      changes: [
        {
          id: big.id,
          action: "payments.refund",
          identity: "invoice-bot",
          workflowClass: "invoices",
          estimateUsd: "50",
          before: "allowed",
          after: "denied",
          ruleBefore: "refunds",
          ruleAfter: "refunds",
        },
      ],
    });

    const strict = await replayRules({
      workspaceId: agent.workspace.id,
      draft: await draftOf(agent, { refunds: { maxEstimateUsd: "20", requireEstimate: true } }),
      defaultEffect: "allow",
    });
    expect(strict.transitions).toEqual(
      expect.arrayContaining([
        { from: "allowed", to: "denied", count: 1 },
        { from: "allowed", to: "refused", count: 1 },
        { from: "denied", to: "allowed", count: 1 },
      ]),
    );
    expect(strict.changed).toBe(3);
    expect(strict.changes.find((c) => c.id === other.id)).toMatchObject({ ruleBefore: null, ruleAfter: null });

    // No rules at all: everything falls to the default.
    const none = await replayRules({ workspaceId: agent.workspace.id, draft: [], defaultEffect: "require_approval" });
    expect(none).toMatchObject({ changed: 4 });
    expect(none.transitions).toEqual(
      expect.arrayContaining([
        { from: "allowed", to: "pending_approval", count: 3 },
        { from: "denied", to: "pending_approval", count: 1 },
      ]),
    );
  });

  it("compares with the verdict given then, not the status now (approved, cancelled, decided by an old default)", async () => {
    const agent = await seedAgent();
    await seedRule(agent, { name: "approve refunds", action: "payments.*", effect: "require_approval" });
    const pending = await ask(agent, "payments.refund", 12);
    const approved = await decideOnAction({
      workspaceId: agent.workspace.id,
      actionId: pending.id,
      approver: { type: "user", userId: agent.members.admin!.id, name: "admin" },
      choice: { decision: "approve", reason: "fine" },
      actor: testActor,
    });
    expect(approved.status).toBe("allowed");

    // Decided by the default while it was require_approval, then cancelled; then allowed by the default.
    await updateWorkspace({
      slug: agent.workspace.slug,
      actor: testActor,
      settings: { defaultActionEffect: "require_approval" },
    });
    const waited = await ask(agent, "email.send", 1);
    await getDb().$transaction((tx) =>
      cancelAction(tx, {
        actionId: waited.id,
        scope: { workspaceId: agent.workspace.id },
        actor: testActor,
        reason: null,
        requestId: "req_test",
        now: new Date(Date.now() + 1000),
      }),
    );
    await updateWorkspace({ slug: agent.workspace.slug, actor: testActor, settings: { defaultActionEffect: "allow" } });
    const allowed = await ask(agent, "email.send", 1);
    await getDb().$transaction((tx) =>
      cancelAction(tx, {
        actionId: allowed.id,
        scope: { workspaceId: agent.workspace.id },
        actor: testActor,
        reason: null,
        requestId: "req_test",
        now: new Date(Date.now() + 1000),
      }),
    );

    const same = await replayRules({
      workspaceId: agent.workspace.id,
      draft: await draftOf(agent),
      defaultEffect: "allow",
    });
    // Only the request decided by the old default (require_approval) would now be allowed.
    expect(same).toMatchObject({
      total: 3,
      changed: 1,
      changes: [{ id: waited.id, before: "pending_approval", after: "allowed", ruleBefore: null }],
    });
  });

  it("reads only the last 7 days of this workspace, newest first, and says when it stopped at the cap", async () => {
    const agent = await seedAgent();
    const elsewhere = await seedAgent();
    const now = new Date();
    await ask(agent, "payments.refund", 1, new Date(now.getTime() - 8 * 24 * HOUR)); // too old
    const recent = [];
    for (let i = 3; i >= 1; i--)
      recent.push(await ask(agent, "payments.refund", i, new Date(now.getTime() - i * HOUR)));
    await ask(elsewhere, "payments.refund", 1);

    const all = await replayRules({ workspaceId: agent.workspace.id, draft: [], defaultEffect: "allow", now });
    expect(all).toMatchObject({ total: 3, changed: 3, capped: false });
    expect(all.changes.map((c) => c.id)).toEqual(recent.map((a) => a.id).reverse());

    const capped = await replayRules({
      workspaceId: agent.workspace.id,
      draft: [decidableRule(NEW_RULE_ID, 1, ruleInputSchema.parse({ name: "all", action: "*", effect: "allow" }))],
      defaultEffect: "deny",
      now,
      maxRequests: 2,
    });
    expect(capped).toMatchObject({ total: 2, capped: true, changed: 2 });
    expect(capped.changes.map((c) => c.id)).toEqual([recent[2]!.id, recent[1]!.id]);
  });
});
