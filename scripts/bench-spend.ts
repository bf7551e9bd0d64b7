/**
 * Spend budgets in `npm run bench` (API.md "Spend budgets"): the limits cases 7 and 8 run under, and
 * case 9, spend exactness across two app processes — a burst of `POST /actions` against one small
 * daily USD limit, split over both servers, then what the database holds.
 */
import { randomBytes } from "node:crypto";

/** Cases 7 and 8: every spend budget limited, far above what a run spends ($1e9, the largest limit; 10^15 tokens). */
export const EVERY_SPEND_BUDGET = { usdMicros: 1_000_000_000n * 1_000_000n, tokens: 1_000_000_000_000_000n };

/** Case 9: $50.00 a day, 200 actions of $0.37 → 135 fit ($49.95), 65 are refused. */
export const SPEND_EXACT = { limitMicros: 50_000_000n, estimateUsd: 0.37, estimateMicros: 370_000n, sent: 200 };

/** Limits every spend budget of a workspace, its class and its key at once (one audited change). */
export async function limitEverySpendBudget(
  ids: { workspaceId: string; classId: string; credentialId: string },
  limits: { usdMicros: bigint; tokens: bigint },
): Promise<void> {
  const { setSpendLimits } = await import("@/lib/server/budgets/spend-limits");
  await setSpendLimits({
    workspaceId: ids.workspaceId,
    actor: { type: "cli", id: "bench", name: "bench" },
    changes: [
      { budget: "workspace.daily_usd", limit: limits.usdMicros },
      { budget: "workspace.monthly_usd", limit: limits.usdMicros },
      { budget: "workspace.daily_tokens", limit: limits.tokens },
      { budget: "class.daily_usd", classId: ids.classId, limit: limits.usdMicros },
      { budget: "credential.daily_usd", credentialId: ids.credentialId, limit: limits.usdMicros },
    ],
  });
}

/**
 * The workspace's daily USD budget limited to `SPEND_EXACT.limitMicros`, and its monthly one to
 * $1,000 — never reached here, but limited, so that its counter is kept and checked too (a budget
 * without a limit is not counted); the other three unlimited.
 */
export async function limitDailyUsd(workspaceId: string): Promise<void> {
  const { setSpendLimits } = await import("@/lib/server/budgets/spend-limits");
  await setSpendLimits({
    workspaceId,
    actor: { type: "cli", id: "bench", name: "bench" },
    changes: [
      { budget: "workspace.daily_usd", limit: SPEND_EXACT.limitMicros },
      { budget: "workspace.monthly_usd", limit: 1_000_000_000n },
    ],
  });
}

export type SpendExactness = {
  limitUsd: number;
  estimateUsd: number;
  sent: number;
  /** HTTP answers: 201, and 429 by error code. */
  admitted: number;
  refused: number;
  otherAnswers: Record<string, number>;
  /** The answers of each server (by port): how the admissions split between the processes. */
  byServer: Record<string, Record<string, number>>;
  expected: { admitted: number; refused: number; reservedUsd: number };
  /** Every refusal's `details.remaining` (distinct values). */
  remainingSaid: number[];
  /** Read from the database afterwards: the actions kept, and the sum of their reserved estimates. */
  actionsStored: number;
  reservedUsd: number;
  /** What the counters hold for the day and the month (usage_slot). */
  countersUsd: { daily: number; monthly: number };
  exact: boolean;
};

const usd = (micros: bigint) => Number(micros) / 1_000_000;

/**
 * Case 9: `sent` concurrent `POST /actions` with an estimate of $0.37 and their own Idempotency-Keys,
 * half to each server, all in flight at once (fetch opens a connection per request in flight); then
 * the workspace's actions and spend counters as the database holds them.
 */
export async function spendExactness(input: {
  ports: number[];
  key: string;
  workspaceId: string;
}): Promise<SpendExactness> {
  const run = randomBytes(3).toString("hex");
  const answers = await Promise.all(
    Array.from({ length: SPEND_EXACT.sent }, async (_, i) => {
      const port = input.ports[i % input.ports.length]!;
      const response = await fetch(`http://127.0.0.1:${port}/api/v1/actions`, {
        method: "POST",
        headers: {
          authorization: `Bearer ${input.key}`,
          "content-type": "application/json",
          "idempotency-key": `bench-spend-${run}-${i}`,
        },
        body: JSON.stringify({
          action: "bench.tool.call",
          summary: `spend ${i}`,
          estimate: { usd: SPEND_EXACT.estimateUsd },
        }),
      });
      const body = (await response.json().catch(() => ({}))) as {
        error?: { code?: string; details?: { remaining?: number } };
      };
      return {
        port,
        status: response.status,
        code: body.error?.code ?? null,
        remaining: body.error?.details?.remaining,
      };
    }),
  );
  const tally: Record<string, number> = {};
  const byServer: Record<string, Record<string, number>> = {};
  for (const a of answers) {
    const name = a.code ? `${a.status} ${a.code}` : String(a.status);
    tally[name] = (tally[name] ?? 0) + 1;
    const server = (byServer[`:${a.port}`] ??= {});
    server[name] = (server[name] ?? 0) + 1;
  }
  const admitted = tally["201"] ?? 0;
  const refused = tally["429 spend_budget_exhausted"] ?? 0;
  const otherAnswers = Object.fromEntries(
    Object.entries(tally).filter(([name]) => name !== "201" && name !== "429 spend_budget_exhausted"),
  );
  const remainingSaid = [
    ...new Set(answers.filter((a) => a.code === "spend_budget_exhausted").map((a) => a.remaining ?? NaN)),
  ].sort((a, b) => a - b);

  const { poolSql } = await import("@/lib/server/db");
  const { spendScopeId } = await import("@/lib/core/spend");
  const sql = poolSql();
  const [stored] = await sql.query<{ actions: number; reserved: string }>(
    `SELECT count(*)::int AS actions, COALESCE(sum(estimate_micros) FILTER (WHERE status = 'allowed'), 0)::text AS reserved
     FROM action WHERE workspace_id = $1`,
    [input.workspaceId],
  );
  const counters = await sql.query<{ scope_id: string; used: string }>(
    `SELECT scope_id, sum(used)::text AS used FROM usage_slot WHERE scope_id = ANY($1::text[]) GROUP BY scope_id`,
    [
      [
        spendScopeId("workspace.daily_usd", input.workspaceId),
        spendScopeId("workspace.monthly_usd", input.workspaceId),
      ],
    ],
  );
  const counted = (budget: "workspace.daily_usd" | "workspace.monthly_usd") =>
    BigInt(counters.find((c) => c.scope_id === spendScopeId(budget, input.workspaceId))?.used ?? "0");

  const fits = SPEND_EXACT.limitMicros / SPEND_EXACT.estimateMicros; // bigint: floor
  const reserved = BigInt(stored!.reserved);
  const expected = {
    admitted: Number(fits),
    refused: SPEND_EXACT.sent - Number(fits),
    reservedUsd: usd(fits * SPEND_EXACT.estimateMicros),
  };
  const exact =
    admitted === expected.admitted &&
    refused === expected.refused &&
    stored!.actions === expected.admitted &&
    reserved === fits * SPEND_EXACT.estimateMicros &&
    counted("workspace.daily_usd") === reserved &&
    counted("workspace.monthly_usd") === reserved;
  return {
    limitUsd: usd(SPEND_EXACT.limitMicros),
    estimateUsd: SPEND_EXACT.estimateUsd,
    sent: SPEND_EXACT.sent,
    admitted,
    refused,
    otherAnswers,
    byServer,
    expected,
    remainingSaid,
    actionsStored: stored!.actions,
    reservedUsd: usd(reserved),
    countersUsd: { daily: usd(counted("workspace.daily_usd")), monthly: usd(counted("workspace.monthly_usd")) },
    exact,
  };
}

/** Case 9's line of the summary. */
export function describeSpendExactness(e: SpendExactness): string {
  const others = Object.entries(e.otherAnswers).map(([name, n]) => `${n} × ${name}`);
  return (
    `spend exactness: ${e.admitted} admitted (201) and ${e.refused} refused (429 spend_budget_exhausted) of ` +
    `${e.sent} actions of $${e.estimateUsd.toFixed(2)} across two servers (daily limit $${e.limitUsd.toFixed(2)}; ` +
    `expected ${e.expected.admitted} and ${e.expected.refused})${others.length ? `, and ${others.join(", ")}` : ""} ` +
    `[${Object.entries(e.byServer)
      .map(
        ([server, t]) =>
          `${server}: ${Object.entries(t)
            .map(([name, n]) => `${n} × ${name}`)
            .join(", ")}`,
      )
      .join("; ")}]; ` +
    `refusals said $${e.remainingSaid.map((r) => r.toFixed(2)).join(", $")} remaining; in the database: ` +
    `${e.actionsStored} actions, reserved $${e.reservedUsd.toFixed(2)} (expected $${e.expected.reservedUsd.toFixed(2)}), ` +
    `counters day $${e.countersUsd.daily.toFixed(2)} / month $${e.countersUsd.monthly.toFixed(2)} → ` +
    (e.exact ? "EXACT" : "NOT EXACT")
  );
}
