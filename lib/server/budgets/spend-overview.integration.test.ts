import { beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import type { ActionState } from "@/lib/action-state";
import { argumentsSha256 } from "@/lib/core/action-arguments";
import { parseCsv } from "@/lib/core/audit-export";
import { localDay, localMonth } from "@/lib/core/calendar";
import { newId } from "@/lib/core/ids";
import { parseUsd } from "@/lib/core/money";
import { spendCsv } from "@/lib/core/spend-export";
import type { ActionStatus } from "@/lib/core/actions";
import { seedAgent } from "@/tests/agent-fixtures";
import { testActor } from "@/tests/fixtures";
import { form, session } from "@/tests/session-mock";
import { issueCredential } from "../credentials/issue-credential";
import { getDb } from "../db";
import { createIdentity } from "../identities/create-identity";
import { createWorkflowClass } from "../workflow-classes/create-workflow-class";
import { setSpendLimits } from "./spend-limits";
import {
  getSpendStanding,
  spendAlerts,
  spendBySpender,
  spendCsvRows,
  spendLimitOwners,
  spendPerDay,
  topSpenders,
} from "./spend-overview";

/**
 * The Budgets page's Spend section, against real PostgreSQL: the daily series, the top spenders
 * and the CSV rows are exact sums of known actions (by action_spent / action_reserved: a settled
 * action its actual or estimate, a timed-out one its estimate, an open one reserved, a refused or
 * cancelled one nothing), in the workspace's time zone; and the limit forms' server actions check
 * the role on the server, want a reason, refuse a 7th decimal with parseUsd's message, and audit.
 */
vi.mock("@/lib/server/auth/config", () => import("@/tests/session-mock"));
vi.mock("next/cache", () => ({ revalidatePath: () => {} }));
vi.mock("next-auth", () => ({ AuthError: class AuthError extends Error {} }));

type Action = (state: ActionState | undefined, data: FormData) => Promise<ActionState>;
const usd = (text: string) => (parseUsd(text) as { ok: true; micros: bigint }).micros;
const TZ = "America/Los_Angeles";

function addDays(day: string, days: number): string {
  const [y, m, d] = day.split("-").map(Number) as [number, number, number];
  return new Date(Date.UTC(y, m - 1, d + days)).toISOString().slice(0, 10);
}

type Agent = Awaited<ReturnType<typeof seedAgent>>;
type Owner = { identityId: string; credentialId: string; workflowClassId: string };

/** An action row as the services leave it, inserted directly (history: it reserved nothing in the counters). */
async function insertAction(
  workspaceId: string,
  owner: Owner,
  row: {
    action: string;
    status: ActionStatus;
    day: string;
    estimate?: string;
    actual?: string;
    estimateTokens?: bigint;
    actualTokens?: bigint;
    overrun?: boolean;
  },
) {
  const open = row.status === "allowed" || row.status === "pending_approval";
  await getDb().action.create({
    data: {
      id: newId("act"),
      workspaceId,
      ...owner,
      action: row.action,
      status: row.status,
      argumentsSha256: argumentsSha256(null),
      estimateMicros: row.estimate === undefined ? null : usd(row.estimate),
      actualMicros: row.actual === undefined ? null : usd(row.actual),
      estimateTokens: row.estimateTokens ?? null,
      actualTokens: row.actualTokens ?? null,
      overrun: row.overrun ?? false,
      approvalTimeoutSeconds: 3600,
      completionTimeoutSeconds: 900,
      expiresAt: open ? new Date(Date.now() + 3600_000) : null,
      correlationId: "spend-overview-test",
      spendDay: new Date(`${row.day}T00:00:00Z`),
    },
  });
}

let agent: Agent;
let a: Owner;
let b: Owner;
let today: string;
let now: Date;

beforeAll(async () => {
  now = new Date();
  agent = await seedAgent();
  const workspaceId = agent.workspace.id;
  await getDb().workspace.update({ where: { id: workspaceId }, data: { timeZone: TZ, degradeAtPercent: 80 } });
  today = localDay(now, TZ);
  const reports = await createWorkflowClass({
    workspaceId,
    actor: testActor,
    name: "reports",
    maxAttempts: 3,
    initialIntervalMs: 1000,
    backoffCoefficient: 2,
    maxIntervalMs: 60000,
    nonRetryableErrors: [],
    heartbeatTimeoutSeconds: 300,
  });
  const writer = await createIdentity({
    workspaceId,
    actor: testActor,
    name: "report-writer",
    workflowClass: "reports",
    grants: [{ pattern: "billing.*", access: "read" }],
  });
  const writerKey = await issueCredential({
    workspaceId,
    actor: testActor,
    identityId: writer.id,
    expiresInSeconds: 3600,
  });
  a = { identityId: agent.identity.id, credentialId: agent.credential.id, workflowClassId: agent.workflowClass.id };
  b = { identityId: writer.id, credentialId: writerKey.id, workflowClassId: reports.id };
  const yesterday = addDays(today, -1);
  const rows: [Owner, Parameters<typeof insertAction>[2]][] = [
    // Today, class invoices: 0.1 + 0.2 settled (the second at its estimate), 0.3 timed out (its
    // estimate), 0.05 failed (its actual), an overrun 0.1 → 0.4; 0.5 allowed and 0.25 pending are
    // reserved; denied, rejected and cancelled count for nothing.
    [
      a,
      {
        action: "llm.chat",
        status: "succeeded",
        day: today,
        estimate: "0.1",
        actual: "0.1",
        estimateTokens: 1000n,
        actualTokens: 700n,
      },
    ],
    [a, { action: "llm.chat", status: "succeeded", day: today, estimate: "0.2", estimateTokens: 2000n }],
    [a, { action: "llm.chat", status: "timed_out", day: today, estimate: "0.3", estimateTokens: 500n }],
    [a, { action: "payments.refund", status: "failed", day: today, estimate: "1", actual: "0.05" }],
    [a, { action: "llm.chat", status: "succeeded", day: today, estimate: "0.1", actual: "0.4", overrun: true }],
    [a, { action: "llm.chat", status: "allowed", day: today, estimate: "0.5", estimateTokens: 4000n }],
    [a, { action: "payments.refund", status: "pending_approval", day: today, estimate: "0.25" }],
    [a, { action: "payments.refund", status: "denied", day: today, estimate: "9" }],
    [a, { action: "payments.refund", status: "rejected", day: today, estimate: "9" }],
    [a, { action: "payments.refund", status: "cancelled", day: today, estimate: "9" }],
    // Today, class reports: 5.000001.
    [b, { action: "email.send", status: "succeeded", day: today, estimate: "5.000001", actual: "5.000001" }],
    // Yesterday: 0.1 + 0.2, exactly 0.3.
    [a, { action: "llm.chat", status: "succeeded", day: yesterday, estimate: "0.1", actual: "0.1" }],
    [a, { action: "llm.chat", status: "succeeded", day: yesterday, estimate: "0.2", actual: "0.2" }],
    // 40 days ago: in no series, month or export.
    [b, { action: "email.send", status: "succeeded", day: addDays(today, -40), estimate: "100", actual: "100" }],
  ];
  for (const [owner, row] of rows) await insertAction(workspaceId, owner, row);
});

beforeEach(() => {
  session.userId = null;
});

describe("spend overview: exact sums of known actions", () => {
  it("spendPerDay: 30 days ending today (local), spent and reserved by action_spent / action_reserved", async () => {
    const series = await spendPerDay(agent.workspace.id, TZ, now);
    expect(series).toHaveLength(30);
    expect(series.at(-1)).toEqual({
      day: today,
      spentMicros: usd("6.050001"), // 0.1 + 0.2 + 0.3 + 0.05 + 0.4 + 5.000001
      reservedMicros: usd("0.75"),
      spentTokens: 3200n, // 700 + 2000 (estimate) + 500 (timed out)
      reservedTokens: 4000n,
    });
    expect(series.at(-2)).toMatchObject({ day: addDays(today, -1), spentMicros: 300_000n, reservedMicros: 0n });
    expect(series.slice(0, -2).every((d) => d.spentMicros === 0n && d.reservedMicros === 0n)).toBe(true);
    expect(series[0]!.day).toBe(addDays(today, -29));
  });

  it("the gauges' standing (readSpendStanding) agrees, with the state against each limit", async () => {
    await setSpendLimits({
      workspaceId: agent.workspace.id,
      actor: testActor,
      changes: [
        { budget: "workspace.daily_usd", limit: usd("3.5") }, // 6.800001 of 3.5: exhausted
        { budget: "workspace.monthly_usd", limit: usd("8.5") }, // ≥ 6.8 (80 %), < 8.5: degraded
        { budget: "workspace.daily_tokens", limit: null },
      ],
      reason: "spend overview test",
    });
    const standing = await getSpendStanding(agent.workspace.id, now);
    expect(standing.dailyUsd).toMatchObject({
      spent: usd("6.050001"),
      reserved: usd("0.75"),
      limit: usd("3.5"),
      state: "exhausted",
    });
    const month = localMonth(now, TZ);
    const monthSpent = addDays(today, -1) >= month ? usd("6.350001") : usd("6.050001");
    expect(standing.monthlyUsd).toMatchObject({ spent: monthSpent, reserved: usd("0.75"), state: "degraded" });
    expect(standing.dailyTokens).toMatchObject({ spent: 3200n, reserved: 4000n, limit: null, state: "normal" });
    const spenders = await spendBySpender(agent.workspace.id, TZ, now);
    const owners = await spendLimitOwners(agent.workspace.id, spenders, now);
    const alerts = spendAlerts(standing, owners);
    expect(alerts.map((x) => [x.budget, x.state])).toEqual([
      ["workspace.daily_usd", "exhausted"],
      ["workspace.monthly_usd", "degraded"],
    ]);
  });

  it("top spenders by class, identity, key and action, today and this month", async () => {
    const spenders = await spendBySpender(agent.workspace.id, TZ, now);
    const top = topSpenders(spenders);
    const month = localMonth(now, TZ);
    const yesterdayInMonth = addDays(today, -1) >= month;
    const invoicesMonth = yesterdayInMonth ? usd("1.35") : usd("1.05");
    expect(top.class.map((s) => [s.label, s.today.spent, s.today.reserved, s.month.spent])).toEqual([
      ["reports", usd("5.000001"), 0n, usd("5.000001")],
      ["invoices", usd("1.05"), usd("0.75"), invoicesMonth],
    ]);
    expect(top.identity.map((s) => s.label)).toEqual(["report-writer", "invoice-bot"]);
    expect(top.key.map((s) => s.label)).toEqual([
      (await getDb().credential.findUniqueOrThrow({ where: { id: b.credentialId } })).prefix,
      agent.credential.prefix,
    ]);
    const byAction = Object.fromEntries(top.action.map((s) => [s.id, s.today]));
    expect(byAction).toEqual({
      "email.send": { spent: usd("5.000001"), reserved: 0n, tokens: 0n },
      "llm.chat": { spent: usd("1"), reserved: usd("0.5"), tokens: 3200n },
      "payments.refund": { spent: usd("0.05"), reserved: usd("0.25"), tokens: 0n },
    });
  });

  it("CSV rows per day × class × action, 30 days: counts, exact decimals, overruns; 0.1 + 0.2 = 0.3", async () => {
    const rows = await spendCsvRows(agent.workspace.id, TZ, now);
    const csv = parseCsv(spendCsv(rows));
    expect(csv[0]).toEqual([
      "day",
      "class",
      "action",
      "actions",
      "spent_usd",
      "reserved_usd",
      "spent_tokens",
      "overruns",
    ]);
    const yesterday = addDays(today, -1);
    expect(csv.slice(1)).toEqual([
      [yesterday, "invoices", "llm.chat", "2", "0.3", "0", "0", "0"],
      [today, "invoices", "llm.chat", "5", "1", "0.5", "3200", "1"],
      [today, "invoices", "payments.refund", "5", "0.05", "0.25", "0", "0"],
      [today, "reports", "email.send", "1", "5.000001", "0", "0", "0"],
    ]);
  });
});

describe("the Spend section's server actions and export: authorization, validation, audit", () => {
  const load = async (name: "workspaceSpendLimitsAction" | "classSpendLimitAction" | "keySpendLimitAction") =>
    (await import("@/app/(dashboard)/w/[workspace]/budgets/actions"))[name] as Action;
  const limits = async () =>
    getDb().workspace.findUniqueOrThrow({
      where: { id: agent.workspace.id },
      select: { dailyUsdLimitMicros: true, monthlyUsdLimitMicros: true, dailyTokenLimit: true },
    });
  const fields = (extra: Record<string, string>) =>
    form({ workspace: agent.workspace.slug, dailyUsd: "12.5", monthlyUsd: "300", dailyTokens: "150000", ...extra });

  it("a viewer cannot set limits: refused on the server, nothing changed, the refusal audited", async () => {
    const action = await load("workspaceSpendLimitsAction");
    const before = await limits();
    session.userId = agent.members.viewer!.id;
    const result = await action(undefined, fields({ reason: "viewer tries" }));
    expect(result).toMatchObject({ ok: false, message: "Your role does not allow this." });
    expect(await limits()).toEqual(before);
    const denied = await getDb().auditEvent.findFirst({
      where: { workspaceId: agent.workspace.id, actorId: agent.members.viewer!.id, outcome: "denied" },
      orderBy: { id: "desc" },
    });
    expect(denied?.action).toBe("budget.set_spend_limits");

    const classAction = await load("classSpendLimitAction");
    const refused = await classAction(
      undefined,
      form({ workspace: agent.workspace.slug, id: b.workflowClassId, dailyUsd: "5", reason: "viewer tries" }),
    );
    expect(refused.ok).toBe(false);
    expect(
      (await getDb().workflowClass.findUniqueOrThrow({ where: { id: b.workflowClassId } })).dailyUsdLimitMicros,
    ).toBeNull();
  });

  it("an admin without a reason, or with 7 decimals, is told which field and why; nothing changes", async () => {
    const action = await load("workspaceSpendLimitsAction");
    const before = await limits();
    session.userId = agent.members.admin!.id;
    const noReason = await action(undefined, fields({ reason: "" })); // what the form sends
    expect(noReason.ok).toBe(false);
    expect(noReason.fieldErrors?.reason?.[0]).toMatch(/Say why/);
    const tooPrecise = await action(undefined, fields({ dailyUsd: "0.1234567", reason: "too precise" }));
    expect(tooPrecise.ok).toBe(false);
    expect(tooPrecise.fieldErrors?.dailyUsd?.[0]).toBe(
      'An amount in USD has at most 6 decimals. Empty or "none" for unlimited.',
    );
    const negative = await action(undefined, fields({ dailyTokens: "-5", reason: "negative" }));
    expect(negative.fieldErrors?.dailyTokens?.[0]).toMatch(/whole number of tokens/);
    expect(await limits()).toEqual(before);
  });

  it("an admin's change is applied and audited (from → to, with the reason); an unchanged form changes nothing", async () => {
    const action = await load("workspaceSpendLimitsAction");
    session.userId = agent.members.admin!.id;
    const result = await action(undefined, fields({ reason: "quarterly review" }));
    expect(result.ok, result.message ?? "").toBe(true);
    expect(await limits()).toEqual({
      dailyUsdLimitMicros: 12_500_000n,
      monthlyUsdLimitMicros: 300_000_000n,
      dailyTokenLimit: 150_000n,
    });
    const event = await getDb().auditEvent.findFirstOrThrow({
      where: { workspaceId: agent.workspace.id, action: "budget.spend_limits_changed", reason: "quarterly review" },
    });
    expect(event.actorId).toBe(agent.members.admin!.id);
    expect(event.details).toMatchObject({
      changes: [
        { budget: "workspace.daily_usd", from: 3.5, to: 12.5 },
        { budget: "workspace.monthly_usd", from: 8.5, to: 300 },
        { budget: "workspace.daily_tokens", from: null, to: 150000 },
      ],
    });
    const again = await action(undefined, fields({ reason: "same again" }));
    expect(again).toMatchObject({ ok: true, message: expect.stringMatching(/^Nothing changed/) });
    expect(await getDb().auditEvent.count({ where: { workspaceId: agent.workspace.id, reason: "same again" } })).toBe(
      0,
    );
  });

  it("a class's and a key's daily limit: set by an admin (audited), cleared with an empty field; another workspace's id is not found", async () => {
    session.userId = agent.members.admin!.id;
    const classAction = await load("classSpendLimitAction");
    const keyAction = await load("keySpendLimitAction");
    const slug = agent.workspace.slug;
    expect(
      (
        await classAction(
          undefined,
          form({ workspace: slug, id: b.workflowClassId, dailyUsd: "20", reason: "cap reports" }),
        )
      ).ok,
    ).toBe(true);
    expect(
      (
        await keyAction(
          undefined,
          form({ workspace: slug, id: b.credentialId, dailyUsd: "0.000001", reason: "cap key" }),
        )
      ).ok,
    ).toBe(true);
    expect(
      (await getDb().workflowClass.findUniqueOrThrow({ where: { id: b.workflowClassId } })).dailyUsdLimitMicros,
    ).toBe(20_000_000n);
    expect((await getDb().credential.findUniqueOrThrow({ where: { id: b.credentialId } })).dailyUsdLimitMicros).toBe(
      1n,
    );
    const audited = await getDb().auditEvent.findFirstOrThrow({
      where: { workspaceId: agent.workspace.id, action: "budget.spend_limits_changed", reason: "cap key" },
    });
    expect(audited.details).toMatchObject({ changes: [{ budget: "credential.daily_usd", from: null, to: 0.000001 }] });
    // The key is now past its limit today: the banner says so.
    const standing = await getSpendStanding(agent.workspace.id, now);
    const owners = await spendLimitOwners(agent.workspace.id, await spendBySpender(agent.workspace.id, TZ, now), now);
    expect(spendAlerts(standing, owners)).toEqual(
      expect.arrayContaining([expect.objectContaining({ budget: "credential.daily_usd", state: "exhausted" })]),
    );
    expect(
      (await keyAction(undefined, form({ workspace: slug, id: b.credentialId, dailyUsd: "", reason: "uncap key" }))).ok,
    ).toBe(true);
    expect(
      (await getDb().credential.findUniqueOrThrow({ where: { id: b.credentialId } })).dailyUsdLimitMicros,
    ).toBeNull();

    const other = await seedAgent();
    const foreign = await classAction(
      undefined,
      form({ workspace: slug, id: other.workflowClass.id, dailyUsd: "1", reason: "cross" }),
    );
    expect(foreign).toMatchObject({ ok: false, message: "No such workflow class in this workspace." });
    expect(
      (await getDb().workflowClass.findUniqueOrThrow({ where: { id: other.workflowClass.id } })).dailyUsdLimitMicros,
    ).toBeNull();
  });

  it("the CSV export: any member (a viewer too), audited; signed out 401, another workspace's admin 404", async () => {
    const { GET } = await import("@/app/(dashboard)/w/[workspace]/budgets/export/route");
    const call = () =>
      GET(new Request(`http://localhost/w/${agent.workspace.slug}/budgets/export`), {
        params: Promise.resolve({ workspace: agent.workspace.slug }),
      });
    session.userId = agent.members.viewer!.id;
    const response = await call();
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/csv; charset=utf-8");
    expect(response.headers.get("content-disposition")).toMatch(
      /^attachment; filename="spend-t-[0-9a-f]+-\d{8}-\d{6}\.csv"$/,
    );
    const csv = parseCsv(await response.text());
    expect(csv).toContainEqual([addDays(today, -1), "invoices", "llm.chat", "2", "0.3", "0", "0", "0"]);
    expect(
      await getDb().auditEvent.count({
        where: { workspaceId: agent.workspace.id, action: "budget.spend_exported", actorId: agent.members.viewer!.id },
      }),
    ).toBe(1);
    session.userId = null;
    expect((await call()).status).toBe(401);
    const other = await seedAgent();
    session.userId = other.members.admin!.id;
    expect((await call()).status).toBe(404);
  });
});
