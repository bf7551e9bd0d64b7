import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  judgeReservation,
  SPEND_BUDGETS,
  SPEND_SLOTS,
  spendCaps,
  spendDegradeThreshold,
  spendNormalBelow,
  spendOwner,
  spendPeriod,
  spendPeriodEnd,
  spendRemaining,
  spendScopeId,
  spendScopes,
  UNLIMITED_SPEND,
} from "./spend";

const ids = { workspaceId: "ws_1", classId: "wfc_1", credentialId: "cred_1" };
const none = {
  workspace: { dailyUsdMicros: null, monthlyUsdMicros: null, dailyTokens: null },
  classDailyUsdMicros: null,
  credentialDailyUsdMicros: null,
};

describe("spendScopes", () => {
  it("lists the limited budgets in lock order, with their scope, period and what the estimate takes from each", () => {
    const scopes = spendScopes({
      ids,
      limits: {
        workspace: { dailyUsdMicros: 50_000_000n, monthlyUsdMicros: 1_000_000_000n, dailyTokens: 2_000n },
        classDailyUsdMicros: 20_000_000n,
        credentialDailyUsdMicros: 10_000_000n,
      },
      day: "2026-12-02",
      estimate: { micros: 370_000n, tokens: null },
    });
    expect(scopes.map((s) => s.budget)).toEqual([...SPEND_BUDGETS]);
    expect(scopes.map((s) => [s.scopeId, s.period, s.amount])).toEqual([
      ["ws_1:usd", "2026-12-02", 370_000n],
      ["ws_1:usd_month", "2026-12-01", 370_000n],
      ["ws_1:tokens", "2026-12-02", 0n],
      ["wfc_1:usd", "2026-12-02", 370_000n],
      ["cred_1:usd", "2026-12-02", 370_000n],
    ]);
    expect(scopes[1]!.caps.reduce((a, b) => a + b, 0)).toBe(1_000_000_000);
  });
  it("leaves out unlimited budgets: a workspace without spend limits reserves nothing", () => {
    expect(spendScopes({ ids, limits: none, day: "2026-12-02", estimate: { micros: 1n, tokens: 1n } })).toEqual([]);
    const one = spendScopes({
      ids,
      limits: { ...none, classDailyUsdMicros: 5n },
      day: "2026-12-02",
      estimate: { micros: 1n, tokens: 1n },
    });
    expect(one.map((s) => s.budget)).toEqual(["class.daily_usd"]);
  });
  it("names each budget's counters once: the same scope id, period and owner for the limits' changes", () => {
    expect(spendScopeId("workspace.monthly_usd", "ws_1")).toBe("ws_1:usd_month");
    expect(spendScopeId("credential.daily_usd", "cred_1")).toBe("cred_1:usd");
    expect(spendPeriod("workspace.monthly_usd", "2026-02-28")).toBe("2026-02-01");
    expect(spendPeriod("workspace.daily_tokens", "2026-02-28")).toBe("2026-02-28");
    expect(spendPeriodEnd("workspace.monthly_usd", "2028-02-10")).toBe("2028-02-29");
    expect(spendPeriodEnd("workspace.monthly_usd", "2026-12-31")).toBe("2026-12-31");
    expect(spendPeriodEnd("class.daily_usd", "2026-12-02")).toBe("2026-12-02");
    expect(SPEND_BUDGETS.map(spendOwner)).toEqual(["workspace", "workspace", "workspace", "class", "credential"]);
  });
});

describe("spendCaps", () => {
  it("split any limit up to $1,000,000,000 exactly over the slots, unlimited included", () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 10n ** 15n }), (limit) => {
        const caps = spendCaps(limit);
        expect(caps).toHaveLength(SPEND_SLOTS);
        expect(caps.reduce((a, b) => a + BigInt(b), 0n)).toBe(limit);
      }),
    );
    expect(spendCaps(null).reduce((a, b) => a + BigInt(b), 0n)).toBe(BigInt(UNLIMITED_SPEND));
  });
});

describe("degradation", () => {
  it("the threshold is ceil(limit × percent / 100), exactly, at any size", () => {
    expect(spendDegradeThreshold(50_000_000n, 80)).toBe(40_000_000n);
    expect(spendDegradeThreshold(1n, 80)).toBe(1n);
    expect(spendDegradeThreshold(999n, 50)).toBe(500n);
    expect(spendDegradeThreshold(10n ** 15n, 99)).toBe(99n * 10n ** 13n);
    expect(spendNormalBelow(null, 80)).toBeNull();
  });

  const scopes = spendScopes({
    ids,
    limits: { ...none, workspace: { ...none.workspace, dailyUsdMicros: 10_000_000n } },
    day: "2026-12-02",
    estimate: { micros: 1_000_000n, tokens: null },
  });
  const totals = (workspaceDaily: bigint) => scopes.map((s, i) => (i === 0 ? workspaceDaily : 0n));

  it("a reservation that leaves a budget at its threshold degrades it; below, nothing", () => {
    const input = { degradeAtPercent: 50, priority: "normal" as const };
    expect(judgeReservation(scopes, totals(4_999_999n), input)).toEqual({ ok: true, degraded: [] });
    expect(judgeReservation(scopes, totals(5_000_000n), input)).toEqual({
      ok: true,
      degraded: ["workspace.daily_usd"],
    });
  });
  it("a low-priority request is shed when the budget was degraded before it, not when it only reaches it", () => {
    const low = { degradeAtPercent: 50, priority: "low" as const };
    expect(judgeReservation(scopes, totals(5_500_000n), low)).toEqual({ ok: true, degraded: ["workspace.daily_usd"] });
    expect(judgeReservation(scopes, totals(6_000_000n), low)).toEqual({
      ok: false,
      refusal: "shed",
      budget: "workspace.daily_usd",
    });
  });
  it("unlimited budgets never degrade", () => {
    const unlimited = spendScopes({ ids, limits: none, day: "2026-12-02", estimate: { micros: 5n, tokens: 5n } });
    expect(
      judgeReservation(
        unlimited,
        unlimited.map(() => 10n ** 15n),
        { degradeAtPercent: 1, priority: "low" },
      ),
    ).toEqual({
      ok: true,
      degraded: [],
    });
  });
});

describe("spendRemaining", () => {
  it("is limit − total, 0 past the limit (an overrun), null when unlimited", () => {
    expect(spendRemaining(50_000_000n, 49_950_000n)).toBe(50_000n);
    expect(spendRemaining(10_000_000n, 11_500_000n)).toBe(0n);
    expect(spendRemaining(null, 5n)).toBeNull();
  });
});
