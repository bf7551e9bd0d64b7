import { randomBytes } from "node:crypto";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { form, session } from "@/tests/session-mock";
import { pendingAction, requestTestAction, seedAgent, seedRule } from "@/tests/agent-fixtures";
import { auditEvents, testActor } from "@/tests/fixtures";
import { getDb } from "@/lib/server/db";
import { createUser } from "@/lib/server/users/create-user";

vi.mock("@/lib/server/auth/config", () => import("@/tests/session-mock"));
vi.mock("next/cache", () => ({ revalidatePath: () => {} }));

const { approveAction, bulkRejectAction, disableIdentityAction, freezePatternAction, liftFreezeAction, rejectAction } =
  await import("./actions");
const { GET: countRoute } = await import("./count/route");

async function world() {
  const agent = await seedAgent();
  const member = async (role: "operator" | "auditor") =>
    (
      await createUser({
        actor: testActor,
        email: `${role}-${randomBytes(4).toString("hex")}@example.test`,
        password: `pw-${randomBytes(8).toString("hex")}`,
        workspaceSlug: agent.workspace.slug,
        role,
      })
    ).userId;
  return { agent, slug: agent.workspace.slug, operator: await member("operator"), operator2: await member("operator") };
}

const action = (id: string) =>
  getDb().action.findUniqueOrThrow({ where: { id }, include: { approvals: { orderBy: { id: "asc" } } } });

describe("approval actions", () => {
  beforeEach(() => {
    session.userId = null;
  });

  it("an operator approves with edited arguments: allowed, approvedArguments set, approval and audit by that person", async () => {
    const w = await world();
    const pending = await pendingAction(w.agent);
    session.userId = w.operator;
    const result = await approveAction(
      undefined,
      form({
        workspace: w.slug,
        actionId: pending.id,
        reason: "half is enough",
        arguments: '{ "order": 123, "amount": 20 }',
      }),
    );
    expect(result).toMatchObject({ ok: true, message: "Approved with your edited arguments: the agent may go ahead." });
    const row = await action(pending.id);
    expect(row).toMatchObject({ status: "allowed", approvedArguments: { order: 123, amount: 20 } });
    expect(row.approvals).toMatchObject([
      { decision: "approve", byType: "user", byId: w.operator, reason: "half is enough" },
    ]);
    expect(await auditEvents({ workspaceId: w.agent.workspace.id, target: pending.id })).toEqual(
      expect.arrayContaining([expect.objectContaining({ action: "action.approved", actorId: w.operator })]),
    );
  });

  it("arguments text equal to the arguments in force (reformatted) is no edit; empty is none either", async () => {
    const w = await world();
    const [a, b] = [await pendingAction(w.agent), await pendingAction(w.agent)];
    session.userId = w.operator;
    const reformatted = '{\n  "amount": 40,\n  "order": 123\n}';
    expect(
      (
        await approveAction(
          undefined,
          form({ workspace: w.slug, actionId: a.id, reason: "ok as is", arguments: reformatted }),
        )
      ).ok,
    ).toBe(true);
    expect(
      (await approveAction(undefined, form({ workspace: w.slug, actionId: b.id, reason: "ok as is", arguments: "  " })))
        .ok,
    ).toBe(true);
    for (const id of [a.id, b.id])
      expect(await action(id)).toMatchObject({ status: "allowed", approvedArguments: null });
  });

  it("bad JSON and a missing reason are form errors; nothing changes", async () => {
    const w = await world();
    const pending = await pendingAction(w.agent);
    session.userId = w.operator;
    const bad = await approveAction(
      undefined,
      form({ workspace: w.slug, actionId: pending.id, reason: "fine", arguments: '{"order": 123,' }),
    );
    expect(bad.ok).toBe(false);
    expect(bad.fieldErrors?.arguments?.[0]).toMatch(/^Not valid JSON/);
    const noReason = await rejectAction(undefined, form({ workspace: w.slug, actionId: pending.id, reason: " " }));
    expect(noReason.ok).toBe(false);
    expect(noReason.fieldErrors?.reason?.[0]).toMatch(/Say why/);
    expect(await action(pending.id)).toMatchObject({ status: "pending_approval", approvals: [] });
  });

  it("two approvals: the same person twice is told so; a second person allows it", async () => {
    const w = await world();
    const pending = await pendingAction(w.agent, 2);
    session.userId = w.operator;
    const first = await approveAction(undefined, form({ workspace: w.slug, actionId: pending.id, reason: "yes please" }));
    expect(first).toMatchObject({ ok: true, message: expect.stringMatching(/recorded: 2 are needed/) });
    const again = await approveAction(
      undefined,
      form({ workspace: w.slug, actionId: pending.id, reason: "yes again" }),
    );
    expect(again).toMatchObject({
      ok: false,
      message: "You have already approved this action: another person must give the second approval.",
    });
    session.userId = w.operator2;
    expect(
      (await approveAction(undefined, form({ workspace: w.slug, actionId: pending.id, reason: "agreed" }))).ok,
    ).toBe(true);
    expect((await action(pending.id)).status).toBe("allowed");
  });

  it("the kill switch refuses approvals (a clear message), not rejections", async () => {
    const w = await world();
    const pending = await pendingAction(w.agent);
    await getDb().workspace.update({ where: { id: w.agent.workspace.id }, data: { killSwitch: true } });
    session.userId = w.operator;
    const approve = await approveAction(undefined, form({ workspace: w.slug, actionId: pending.id, reason: "go ahead" }));
    expect(approve).toMatchObject({ ok: false, message: expect.stringMatching(/^The kill switch is on/) });
    expect((await action(pending.id)).status).toBe("pending_approval");
    const reject = await rejectAction(undefined, form({ workspace: w.slug, actionId: pending.id, reason: "not now" }));
    expect(reject.ok).toBe(true);
    expect((await action(pending.id)).status).toBe("rejected");
  });

  it("a decided action and one past its deadline are clear messages, not crashes; another workspace's action is not found", async () => {
    const w = await world();
    const decided = await pendingAction(w.agent);
    session.userId = w.operator;
    await rejectAction(undefined, form({ workspace: w.slug, actionId: decided.id, reason: "not this one" }));
    const late = await approveAction(undefined, form({ workspace: w.slug, actionId: decided.id, reason: "yes please" }));
    expect(late).toMatchObject({
      ok: false,
      message: "This action is already rejected: nothing was changed. Reload to see who decided it.",
    });

    await pendingAction(w.agent); // the rule exists now; this one asks two hours ago (1 h timeout)
    const old = await requestTestAction(w.agent, undefined, new Date(Date.now() - 2 * 3_600_000));
    const expired = await approveAction(undefined, form({ workspace: w.slug, actionId: old.id, reason: "yes please" }));
    expect(expired).toMatchObject({ ok: false, message: expect.stringMatching(/^The approval deadline has passed/) });

    const other = await seedAgent();
    const theirs = await pendingAction(other);
    const missing = await approveAction(undefined, form({ workspace: w.slug, actionId: theirs.id, reason: "yes please" }));
    expect(missing).toMatchObject({ ok: false, message: "No such action in this workspace." });
    expect((await action(theirs.id)).status).toBe("pending_approval");
  });

  it("viewers and auditors are refused on the server (audited); nothing changes", async () => {
    const w = await world();
    const pending = await pendingAction(w.agent);
    session.userId = w.agent.members.viewer!.id;
    for (const run of [approveAction, rejectAction]) {
      const result = await run(undefined, form({ workspace: w.slug, actionId: pending.id, reason: "viewer here" }));
      expect(result).toMatchObject({ ok: false, message: "Your role does not allow this." });
    }
    expect((await action(pending.id)).approvals).toEqual([]);
    expect(await auditEvents({ workspaceId: w.agent.workspace.id, action: "action.approve" })).toMatchObject([
      { outcome: "denied" },
    ]);
  });

  it("bulk reject: each selected pending action rejected with the one reason; one decided meanwhile is reported", async () => {
    const w = await world();
    const [a, b, c] = [await pendingAction(w.agent), await pendingAction(w.agent), await pendingAction(w.agent)];
    session.userId = w.operator;
    await approveAction(undefined, form({ workspace: w.slug, actionId: c.id, reason: "this one is fine" }));
    const result = await bulkRejectAction(
      undefined,
      form({ workspace: w.slug, ids: `${a.id},${b.id},${c.id}`, reason: "runaway agent" }),
    );
    expect(result.ok).toBe(true);
    expect(result.message).toBe(
      `Rejected 2 of 3. Not changed: ${c.id}: This action is already allowed: nothing was changed. Reload to see who decided it.`,
    );
    for (const id of [a.id, b.id]) {
      expect(await action(id)).toMatchObject({ status: "rejected", approvals: [{ reason: "runaway agent" }] });
    }
    expect((await action(c.id)).status).toBe("allowed");
  });

  it("freeze the exact name: a deny rule first, the next request denied; lift deletes only that freeze rule", async () => {
    const w = await world();
    const pending = await pendingAction(w.agent);
    session.userId = w.operator;
    const frozen = await freezePatternAction(
      undefined,
      form({ workspace: w.slug, actionId: pending.id, scope: "exact", reason: "refund storm" }),
    );
    expect(frozen).toMatchObject({ ok: true, message: expect.stringMatching(/^payments\.refund is frozen/) });
    const rule = await getDb().actionRule.findFirstOrThrow({
      where: { workspaceId: w.agent.workspace.id, name: "freeze payments.refund" },
    });
    expect(rule).toMatchObject({ position: 1, action: "payments.refund", effect: "deny", mode: "enforce" });
    expect((await requestTestAction(w.agent)).status).toBe("denied");
    const twice = await freezePatternAction(
      undefined,
      form({ workspace: w.slug, actionId: pending.id, scope: "exact", reason: "again" }),
    );
    expect(twice).toMatchObject({ ok: false, message: "payments.refund is already frozen." });

    // A rule that merely has a freeze-like name but another pattern is no freeze: lifting refuses it.
    await seedRule(w.agent, { name: "freeze payments.*", action: "payments.charge", effect: "deny" });
    const notAFreeze = await liftFreezeAction(
      undefined,
      form({ workspace: w.slug, pattern: "payments.*", reason: "lift" }),
    );
    expect(notAFreeze.ok).toBe(false);
    expect(
      await getDb().actionRule.count({ where: { workspaceId: w.agent.workspace.id, name: "freeze payments.*" } }),
    ).toBe(1);

    const lifted = await liftFreezeAction(
      undefined,
      form({ workspace: w.slug, pattern: "payments.refund", reason: "storm over" }),
    );
    expect(lifted.ok).toBe(true);
    expect(await getDb().actionRule.count({ where: { id: rule.id } })).toBe(0);
    expect((await requestTestAction(w.agent)).status).toBe("pending_approval");
  });

  it("freeze the prefix; disable the identity from the queue (operators may, viewers may not)", async () => {
    const w = await world();
    const pending = await pendingAction(w.agent);
    session.userId = w.operator;
    expect(
      (
        await freezePatternAction(
          undefined,
          form({ workspace: w.slug, actionId: pending.id, scope: "prefix", reason: "all payments" }),
        )
      ).ok,
    ).toBe(true);
    expect(
      await getDb().actionRule.findFirst({ where: { workspaceId: w.agent.workspace.id, name: "freeze payments.*" } }),
    ).toMatchObject({ action: "payments.*", position: 1 });

    session.userId = w.agent.members.viewer!.id;
    const refused = await disableIdentityAction(
      undefined,
      form({ workspace: w.slug, identityId: w.agent.identity.id, reason: "stop it" }),
    );
    expect(refused).toMatchObject({ ok: false, message: "Your role does not allow this." });
    session.userId = w.operator;
    const disabled = await disableIdentityAction(
      undefined,
      form({ workspace: w.slug, identityId: w.agent.identity.id, reason: "stop it" }),
    );
    expect(disabled).toMatchObject({ ok: true, message: "invoice-bot is disabled: its keys now get 401." });
    expect(await getDb().identity.findUniqueOrThrow({ where: { id: w.agent.identity.id } })).toMatchObject({
      status: "disabled",
      statusReason: "stop it",
    });
  });
});

describe("GET /w/{workspace}/approvals/count", () => {
  const get = (slug: string) =>
    countRoute(new Request(`http://localhost/w/${slug}/approvals/count`), {
      params: Promise.resolve({ workspace: slug }),
    });

  it("answers a member the pending count; 401 signed out; 404 for another workspace's member", async () => {
    const w = await world();
    await pendingAction(w.agent);
    await pendingAction(w.agent);
    session.userId = w.agent.members.viewer!.id;
    const ok = await get(w.slug);
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ workspaceId: w.agent.workspace.id, pending: 2 });
    session.userId = null;
    expect((await get(w.slug)).status).toBe(401);
    const other = await seedAgent();
    session.userId = other.members.admin!.id;
    const outsider = await get(w.slug);
    expect(outsider.status).toBe(404);
    expect(await outsider.text()).not.toContain(w.agent.workspace.id);
  });
});
