import { describe, expect, it } from "vitest";
import { pendingAction, requestTestAction, seedAgent, seedRule } from "@/tests/agent-fixtures";
import { getDb } from "@/lib/server/db";
import { runActionDeadlines } from "@/lib/server/jobs/action-deadlines";
import { decideOnAction } from "./decide-approval";
import {
  actionDecisionsPerDay,
  countPending,
  decodeActionCursor,
  getActionDetail,
  listActions,
  listPendingApprovals,
} from "./list-actions";

type Agent = Awaited<ReturnType<typeof seedAgent>>;

const HOUR = 3_600_000;
const at = (iso: string) => new Date(iso);

function approver(agent: Agent) {
  const admin = agent.members.admin!;
  return {
    approver: { type: "user" as const, userId: admin.id, name: admin.email },
    actor: { type: "user" as const, id: admin.id, name: admin.email },
  };
}

function decide(agent: Agent, actionId: string, decision: "approve" | "reject", now: Date, editedArguments?: unknown) {
  return decideOnAction({
    workspaceId: agent.workspace.id,
    actionId,
    ...approver(agent),
    choice:
      decision === "approve"
        ? { decision, reason: "looks right", ...(editedArguments === undefined ? {} : { editedArguments }) }
        : { decision, reason: "not this one" },
    now,
  });
}

/** A workspace with an allow rule for mail.*, approval for payments.*, a shadow deny on payments.*, and default deny. */
async function seeded() {
  const agent = await seedAgent();
  await seedRule(agent, { name: "mail ok", action: "mail.*", effect: "allow" });
  await seedRule(agent, { name: "payments need a human", action: "payments.*", effect: "require_approval" });
  await seedRule(agent, { name: "would deny refunds", action: "payments.refund", effect: "deny", mode: "shadow" });
  return agent;
}

describe("listActions", () => {
  it("filters by status, exact name, prefix, identity, rule id or name, and created-at range; newest first", async () => {
    const agent = await seeded();
    const t0 = Date.now() - 10 * HOUR;
    const mail = await requestTestAction(agent, { action: "mail.send" }, new Date(t0));
    const refund = await requestTestAction(agent, { action: "payments.refund" }, new Date(t0 + HOUR));
    const charge = await requestTestAction(agent, { action: "payments.charge" }, new Date(t0 + 2 * HOUR));
    const denied = await requestTestAction(agent, { action: "crm.delete" }, new Date(t0 + 3 * HOUR));
    const ids = async (filters: Parameters<typeof listActions>[1]) =>
      (await listActions(agent.workspace.id, filters)).items.map((a) => a.id);

    expect(await ids({})).toEqual([denied.id, charge.id, refund.id, mail.id]);
    expect(await ids({ status: "pending_approval" })).toEqual([charge.id, refund.id]);
    expect(await ids({ status: "denied" })).toEqual([denied.id]);
    expect(await ids({ action: "payments.refund" })).toEqual([refund.id]);
    expect(await ids({ action: "payments" })).toEqual([]); // exact: not a prefix
    expect(await ids({ action: "payments.*" })).toEqual([charge.id, refund.id]);
    expect(await ids({ action: "pay*" })).toEqual([charge.id, refund.id]);
    expect(await ids({ identityId: agent.identity.id })).toHaveLength(4);
    expect(await ids({ identityId: "ident_nobody" })).toEqual([]);
    expect(await ids({ rule: "mail ok" })).toEqual([mail.id]);
    expect(await ids({ rule: refund.ruleId! })).toEqual([charge.id, refund.id]);
    expect(await ids({ createdFrom: new Date(t0 + HOUR), createdTo: new Date(t0 + 2 * HOUR) })).toEqual([
      charge.id,
      refund.id,
    ]);
    // Another workspace sees none of them.
    const other = await seedAgent();
    expect((await listActions(other.workspace.id, {})).items).toEqual([]);
  });

  it("a prefix filter takes _ and % literally (no LIKE wildcards)", async () => {
    const agent = await seedAgent();
    await seedRule(agent, { name: "all", action: "*", effect: "allow" });
    const underscore = await requestTestAction(agent, { action: "a_b.send" });
    await requestTestAction(agent, { action: "axb.send" });
    expect((await listActions(agent.workspace.id, { action: "a_b.*" })).items.map((a) => a.id)).toEqual([
      underscore.id,
    ]);
    expect((await listActions(agent.workspace.id, { action: "a%*" })).items).toEqual([]);
  });

  it("keyset pages cover every action once, in order, even with equal created_at", async () => {
    const agent = await seeded();
    const same = new Date(Date.now() - HOUR);
    const made: string[] = [];
    for (let i = 0; i < 7; i++) made.push((await requestTestAction(agent, { action: "mail.send" }, same)).id);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: Awaited<ReturnType<typeof listActions>> = await listActions(
        agent.workspace.id,
        {},
        { cursor: decodeActionCursor(cursor), limit: 3 },
      );
      expect(page.items.length).toBeLessThanOrEqual(3);
      seen.push(...page.items.map((a) => a.id));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toEqual([...made].sort().reverse());
    expect(decodeActionCursor("not a cursor")).toBeNull();
  });

  it("decidedApprovals: actions people decided or that expired, not pending, not decided by a rule alone", async () => {
    const agent = await seeded();
    const now = new Date();
    await requestTestAction(agent, { action: "mail.send" }, now);
    const approved = await requestTestAction(agent, { action: "payments.charge" }, now);
    const rejected = await requestTestAction(agent, { action: "payments.charge" }, now);
    await requestTestAction(agent, { action: "payments.charge" }, now); // still pending
    await decide(agent, approved.id, "approve", new Date(now.getTime() + 1000));
    await decide(agent, rejected.id, "reject", new Date(now.getTime() + 2000));
    const ids = (await listActions(agent.workspace.id, { decidedApprovals: true })).items.map((a) => a.id);
    expect(ids.sort()).toEqual([approved.id, rejected.id].sort());
  });
});

describe("countPending and the approvals queue", () => {
  it("counts pending actions of the workspace only; the queue is oldest first with identity, class, rule, count and time left", async () => {
    const agent = await seedAgent();
    expect(await countPending(agent.workspace.id)).toBe(0);
    const first = await pendingAction(agent, 2);
    const second = await pendingAction(agent, 2);
    expect(await countPending(agent.workspace.id)).toBe(2);
    const other = await seedAgent();
    await pendingAction(other);
    expect(await countPending(agent.workspace.id)).toBe(2);

    await decide(agent, first.id, "approve", new Date()); // 1 of 2
    const now = new Date();
    const queue = await listPendingApprovals(agent.workspace.id, now);
    expect(queue.map((a) => a.id)).toEqual([first.id, second.id]);
    const [head] = queue;
    expect(head).toMatchObject({
      identity: { name: "invoice-bot" },
      workflowClass: { name: "invoices" },
      ruleCopy: { name: "approve-payments-2", effect: "require_approval" },
      requiredApprovals: 2,
      approvalsCounted: 1,
      arguments: { order: 123, amount: 40 },
    });
    expect(head!.timeLeftMs).toBe(head!.expiresAt!.getTime() - now.getTime());
    expect(head!.timeLeftMs!).toBeGreaterThan(3_500_000);

    // An edit restarts the count: the edited version has one approval, the agent's none.
    await decideOnAction({
      workspaceId: agent.workspace.id,
      actionId: second.id,
      ...approver(agent),
      choice: { decision: "approve", reason: "smaller refund", editedArguments: { order: 123, amount: 20 } },
    });
    const detail = await getActionDetail(agent.workspace.id, second.id);
    expect(detail).toMatchObject({ approvedArguments: { order: 123, amount: 20 }, approvalsCounted: 1 });
    expect(await getActionDetail(other.workspace.id, second.id)).toBeNull();
  });
});

describe("actionDecisionsPerDay", () => {
  it("counts allowed, denied, approved, rejected, expired and shadow would-deny per local day, 14 days, in the workspace's time zone", async () => {
    const agent = await seeded();
    // Auckland is UTC+13 in March: 20:00 UTC on the 9th is already the 10th there.
    await getDb().workspace.update({ where: { id: agent.workspace.id }, data: { timeZone: "Pacific/Auckland" } });
    const now = at("2026-03-12T09:00:00Z"); // the 12th, 22:00 in Auckland
    await requestTestAction(agent, { action: "mail.send" }, at("2026-03-09T20:00:00Z")); // allowed on the 10th
    await requestTestAction(agent, { action: "mail.send" }, at("2026-03-09T10:00:00Z")); // allowed on the 9th
    await requestTestAction(agent, { action: "crm.delete" }, at("2026-03-10T01:00:00Z")); // denied on the 10th
    // Requested at 23:30 on the 10th, approved at 00:15 on the 11th (local): each on its own day.
    const refund = await requestTestAction(agent, { action: "payments.refund" }, at("2026-03-10T10:30:00Z"));
    await decide(agent, refund.id, "approve", at("2026-03-10T11:15:00Z"));
    const charge = await requestTestAction(agent, { action: "payments.charge" }, at("2026-03-10T02:00:00Z"));
    await decide(agent, charge.id, "reject", at("2026-03-10T02:30:00Z")); // rejected on the 10th
    const late = await requestTestAction(agent, { action: "payments.charge" }, at("2026-03-11T00:00:00Z"));
    // Its 1 h deadline passes at 01:00 UTC; the job expires it at 12:00 UTC, 01:00 on the 12th in Auckland.
    const run = await runActionDeadlines({ now: at("2026-03-11T12:00:00Z"), workspaceId: agent.workspace.id });
    expect(run.expired).toEqual([late.id]);
    // Long ago: outside the 14 days.
    await requestTestAction(agent, { action: "mail.send" }, at("2026-02-01T10:00:00Z"));

    const days = await actionDecisionsPerDay(agent.workspace.id, "Pacific/Auckland", now);
    expect(days).toHaveLength(14);
    expect(days[0]!.day).toBe("2026-02-27");
    expect(days[13]!.day).toBe("2026-03-12");
    const byDay = Object.fromEntries(days.map(({ day, ...counts }) => [day, counts]));
    const zero = { allowed: 0, denied: 0, approved: 0, rejected: 0, expired: 0, shadowWouldDeny: 0 };
    expect(byDay["2026-03-09"]).toEqual({ ...zero, allowed: 1 });
    // The shadow rule judged the refund on the 10th (local) at its request; the charge was not matched.
    expect(byDay["2026-03-10"]).toEqual({ ...zero, allowed: 1, denied: 1, rejected: 1, shadowWouldDeny: 1 });
    expect(byDay["2026-03-11"]).toEqual({ ...zero, approved: 1 });
    expect(byDay["2026-03-12"]).toEqual({ ...zero, expired: 1 });
    for (const [day, counts] of Object.entries(byDay))
      if (!["2026-03-09", "2026-03-10", "2026-03-11", "2026-03-12"].includes(day)) expect(counts, day).toEqual(zero);
    // The same data in UTC moves the evening request back to the 9th.
    const utc = Object.fromEntries(
      (await actionDecisionsPerDay(agent.workspace.id, "UTC", now)).map(({ day, ...c }) => [day, c]),
    );
    expect(utc["2026-03-09"]).toMatchObject({ allowed: 2 });
  });
});
