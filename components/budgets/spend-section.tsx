import Link from "next/link";
import type { FormAction } from "@/lib/action-state";
import { formatUsdDecimal } from "@/lib/core/money";
import { spendDegradeThreshold, type SpendBudget } from "@/lib/core/spend";
import type {
  Spender,
  SpenderDimension,
  SpendAlert,
  SpendDay,
  SpendLimitOwners,
  SpendStanding,
} from "@/lib/server/budgets/spend-overview";
import { SpendPerDayChart } from "@/components/charts/spend-per-day-chart";
import { Card } from "@/components/ui/card";
import { Table, Td, Th } from "@/components/ui/table";
import { limitFieldText, spendAmountText, utcText } from "./spend-format";
import { ScopedSpendLimitForm, WorkspaceSpendLimitsForm } from "./spend-forms";
import { SpendGauge } from "./spend-gauge";

const BUDGET_LABELS: Record<SpendBudget, string> = {
  "workspace.daily_usd": "The workspace's daily USD budget",
  "workspace.monthly_usd": "The workspace's monthly USD budget",
  "workspace.daily_tokens": "The workspace's daily token budget",
  "class.daily_usd": "The daily USD budget of class",
  "credential.daily_usd": "The daily USD budget of key",
};

const DIMENSION_TITLES: Record<SpenderDimension, string> = {
  class: "Workflow class",
  identity: "Identity",
  key: "Key",
  action: "Action",
};

const usd = (n: bigint) => spendAmountText(n, "usd");

/** The Budgets page's Spend section (API.md "Spend budgets"): gauges, the banner, the chart, top spenders, limits. */
export function SpendSection({
  workspace,
  standing,
  series,
  top,
  owners,
  alerts,
  canEdit,
  actions,
}: {
  workspace: string;
  standing: SpendStanding;
  series: SpendDay[];
  top: Record<SpenderDimension, Spender[]>;
  owners: SpendLimitOwners;
  alerts: SpendAlert[];
  canEdit: boolean;
  actions: { workspaceLimits: FormAction; classLimit: FormAction; keyLimit: FormAction };
}) {
  const { dailyUsd, monthlyUsd, dailyTokens, degradeAtPercent } = standing;
  const chartNumber = (micros: bigint) => Number(formatUsdDecimal(micros));
  return (
    <section aria-labelledby="spend-heading" className="space-y-6">
      <div className="flex flex-wrap items-end justify-between gap-3 border-t border-zinc-200 pt-6 dark:border-zinc-800">
        <div>
          <h2 id="spend-heading" className="text-lg font-semibold">
            Spend
          </h2>
          <p className="text-sm text-zinc-600 dark:text-zinc-400">
            What actions cost: each estimate is reserved when it is requested and settled at its actual. Days and months
            in {standing.timeZone}.
          </p>
        </div>
        <a
          href={`/w/${workspace}/budgets/export`}
          download
          className="text-sm font-medium text-indigo-600 hover:underline dark:text-indigo-400"
        >
          Export CSV (30 days)
        </a>
      </div>
      {alerts.length ? (
        <div
          role="status"
          data-testid="spend-banner"
          className={`rounded-md px-4 py-3 text-sm ${alerts.some((a) => a.state === "exhausted") ? "bg-red-600 text-white" : "bg-amber-400 text-amber-950"}`}
        >
          <ul className="space-y-1">
            {alerts.map((a) => (
              <li key={`${a.budget}:${a.owner ?? ""}`}>
                {BUDGET_LABELS[a.budget]}
                {a.owner ? ` ${a.owner}` : ""} is{" "}
                {a.state === "exhausted"
                  ? "spent: new reservations are refused"
                  : `at ${degradeAtPercent}% or more: low-priority actions are shed`}{" "}
                until {utcText(a.resetAt)}.
              </li>
            ))}
          </ul>
        </div>
      ) : null}
      <Card>
        <div className="grid gap-6 md:grid-cols-3">
          <SpendGauge
            title={`Today (${standing.day}), USD`}
            figures={dailyUsd}
            unit="usd"
            degradeAtPercent={degradeAtPercent}
            testId="spend-gauge-daily-usd"
          />
          <SpendGauge
            title={`This month (${standing.month}), USD`}
            figures={monthlyUsd}
            unit="usd"
            degradeAtPercent={degradeAtPercent}
            testId="spend-gauge-monthly-usd"
          />
          <SpendGauge
            title={`Today (${standing.day}), tokens`}
            figures={dailyTokens}
            unit="tokens"
            degradeAtPercent={degradeAtPercent}
            testId="spend-gauge-daily-tokens"
          />
        </div>
      </Card>
      {canEdit ? (
        <Card>
          <h3 className="mb-4 text-base font-semibold">Spend limits</h3>
          <WorkspaceSpendLimitsForm
            workspace={workspace}
            action={actions.workspaceLimits}
            values={{
              dailyUsd: limitFieldText(dailyUsd.limit, "usd"),
              monthlyUsd: limitFieldText(monthlyUsd.limit, "usd"),
              dailyTokens: limitFieldText(dailyTokens.limit, "tokens"),
            }}
          />
        </Card>
      ) : null}
      <Card>
        <h3 className="mb-3 text-base font-semibold">USD per day (30 days)</h3>
        <SpendPerDayChart
          series={series.map((d) => ({
            day: d.day,
            spent: chartNumber(d.spentMicros),
            reserved: chartNumber(d.reservedMicros),
          }))}
          limit={dailyUsd.limit === null ? null : chartNumber(dailyUsd.limit)}
          degradeAt={
            dailyUsd.limit === null ? null : chartNumber(spendDegradeThreshold(dailyUsd.limit, degradeAtPercent))
          }
        />
      </Card>
      <div className="grid gap-6 lg:grid-cols-2">
        {(Object.keys(DIMENSION_TITLES) as SpenderDimension[]).map((d) => (
          <Card key={d} className="min-w-0">
            <h3 className="mb-3 text-base font-semibold">Top spenders by {DIMENSION_TITLES[d].toLowerCase()}</h3>
            <TopSpenders workspace={workspace} dimension={d} rows={top[d]} />
          </Card>
        ))}
      </div>
      <div className="space-y-6">
        <Card className="min-w-0">
          <h3 className="mb-3 text-base font-semibold">Daily USD limits by class</h3>
          <LimitTable
            label="Daily USD limits by class"
            first="Class"
            empty="No workflow classes yet."
            rows={owners.classes.map((c) => ({ id: c.id, name: c.name, sub: null, limit: c.limit, today: c.today }))}
            workspace={workspace}
            canEdit={canEdit}
            action={actions.classLimit}
            degradeAtPercent={degradeAtPercent}
          />
        </Card>
        <Card className="min-w-0">
          <h3 className="mb-3 text-base font-semibold">Daily USD limits by key</h3>
          <LimitTable
            label="Daily USD limits by key"
            first="Key"
            empty="No live keys: issue one from an identity's page."
            rows={owners.keys.map((k) => ({
              id: k.id,
              name: `${k.prefix}…`,
              sub: k.identity,
              limit: k.limit,
              today: k.today,
            }))}
            workspace={workspace}
            canEdit={canEdit}
            action={actions.keyLimit}
            degradeAtPercent={degradeAtPercent}
          />
        </Card>
      </div>
    </section>
  );
}

function TopSpenders({
  workspace,
  dimension,
  rows,
}: {
  workspace: string;
  dimension: SpenderDimension;
  rows: Spender[];
}) {
  if (rows.length === 0) return <p className="text-sm text-zinc-500">No spend this month.</p>;
  return (
    <Table aria-label={`Top spenders by ${DIMENSION_TITLES[dimension].toLowerCase()}`}>
      <thead>
        <tr>
          <Th>{DIMENSION_TITLES[dimension]}</Th>
          <Th className="text-right">Today</Th>
          <Th className="text-right">This month</Th>
        </tr>
      </thead>
      <tbody className="divide-y divide-zinc-100 dark:divide-zinc-800">
        {rows.map((s) => (
          <tr key={s.id}>
            <Td className="max-w-48 truncate">
              {dimension === "action" ? (
                <Link
                  href={`/w/${workspace}/actions?action=${encodeURIComponent(s.id)}`}
                  className="font-mono text-xs text-indigo-600 hover:underline dark:text-indigo-400"
                >
                  {s.label}
                </Link>
              ) : (
                <span className={dimension === "key" ? "font-mono text-xs" : ""}>
                  {dimension === "key" ? `${s.label}…` : s.label}
                </span>
              )}
            </Td>
            <Td className="text-right tabular-nums">
              <Amounts period={s.today} />
            </Td>
            <Td className="text-right tabular-nums">
              <Amounts period={s.month} />
            </Td>
          </tr>
        ))}
      </tbody>
    </Table>
  );
}

function Amounts({ period }: { period: Spender["today"] }) {
  return (
    <>
      {usd(period.spent)}
      {period.reserved > 0n ? <div className="text-xs text-zinc-500">+{usd(period.reserved)} reserved</div> : null}
      {period.tokens > 0n ? (
        <div className="text-xs text-zinc-500">{spendAmountText(period.tokens, "tokens")}</div>
      ) : null}
    </>
  );
}

function LimitTable({
  label,
  first,
  empty,
  rows,
  workspace,
  canEdit,
  action,
  degradeAtPercent,
}: {
  label: string;
  first: string;
  empty: string;
  rows: {
    id: string;
    name: string;
    sub: string | null;
    limit: bigint | null;
    today: { spent: bigint; reserved: bigint };
  }[];
  workspace: string;
  canEdit: boolean;
  action: FormAction;
  degradeAtPercent: number;
}) {
  if (rows.length === 0) return <p className="text-sm text-zinc-500">{empty}</p>;
  return (
    <Table aria-label={label}>
      <thead>
        <tr>
          <Th>{first}</Th>
          <Th>Today</Th>
          <Th>Daily limit</Th>
        </tr>
      </thead>
      <tbody className="divide-y divide-zinc-100 dark:divide-zinc-800">
        {rows.map((r) => {
          const total = r.today.spent + r.today.reserved;
          const hot =
            r.limit !== null &&
            (total >= r.limit
              ? "text-red-600 dark:text-red-400"
              : total >= spendDegradeThreshold(r.limit, degradeAtPercent)
                ? "text-amber-700 dark:text-amber-300"
                : "");
          return (
            <tr key={r.id}>
              <Td>
                <span className={first === "Key" ? "font-mono text-xs" : ""}>{r.name}</span>
                {r.sub ? <div className="text-xs text-zinc-500">{r.sub}</div> : null}
              </Td>
              <Td className={`whitespace-nowrap tabular-nums ${hot || ""}`}>
                {usd(r.today.spent)}
                {r.today.reserved > 0n ? (
                  <div className="text-xs text-zinc-500">+{usd(r.today.reserved)} reserved</div>
                ) : null}
              </Td>
              <Td>
                {canEdit ? (
                  <ScopedSpendLimitForm
                    workspace={workspace}
                    id={r.id}
                    label={r.name}
                    value={limitFieldText(r.limit, "usd")}
                    action={action}
                  />
                ) : (
                  <span className="tabular-nums">{r.limit === null ? "unlimited" : usd(r.limit)}</span>
                )}
              </Td>
            </tr>
          );
        })}
      </tbody>
    </Table>
  );
}
