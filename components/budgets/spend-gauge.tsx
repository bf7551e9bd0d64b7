import type { SpendGaugeFigures } from "@/lib/server/budgets/spend-overview";
import { spendDegradeThreshold } from "@/lib/core/spend";
import { Badge } from "@/components/ui/badge";
import { percentOf, spendAmountText, utcText } from "./spend-format";

const STATE_TONE = { normal: "good", degraded: "warn", exhausted: "bad" } as const;

/**
 * One spend budget: spent and reserved against its limit, the degrade threshold marked on the bar
 * (or "unlimited", with no bar to fill). Amounts exact: bigints in, text out.
 */
export function SpendGauge({
  title,
  figures,
  unit,
  degradeAtPercent,
  testId,
}: {
  title: string;
  figures: SpendGaugeFigures;
  unit: "usd" | "tokens";
  degradeAtPercent: number;
  testId: string;
}) {
  const { spent, reserved, limit, state } = figures;
  const text = (n: bigint) => spendAmountText(n, unit);
  const threshold = limit === null ? null : spendDegradeThreshold(limit, degradeAtPercent);
  return (
    <div className="min-w-0 space-y-2" data-testid={testId}>
      <div className="flex items-center justify-between gap-2">
        <h3 className="text-sm font-medium text-zinc-600 dark:text-zinc-300">{title}</h3>
        {limit === null ? <Badge>unlimited</Badge> : <Badge tone={STATE_TONE[state]}>{state}</Badge>}
      </div>
      <p className="text-xl font-semibold tabular-nums text-zinc-900 dark:text-zinc-50">
        <span data-testid={`${testId}-used`}>{text(spent + reserved)}</span>
        <span className="text-sm font-normal text-zinc-500"> / {limit === null ? "unlimited" : text(limit)}</span>
      </p>
      <div
        className="relative h-3 w-full overflow-hidden rounded bg-zinc-100 dark:bg-zinc-800"
        role="meter"
        aria-label={title}
        aria-valuemin={0}
        aria-valuemax={limit === null ? undefined : Number(limit)}
        aria-valuenow={Number(spent + reserved)}
        aria-valuetext={`${text(spent)} spent, ${text(reserved)} reserved, of ${limit === null ? "no limit" : text(limit)}`}
      >
        {limit !== null ? (
          <>
            <div
              className={`absolute inset-y-0 left-0 ${state === "exhausted" ? "bg-red-600" : state === "degraded" ? "bg-amber-500" : "bg-indigo-600"}`}
              style={{ width: `${percentOf(spent, limit)}%` }}
            />
            <div
              className="absolute inset-y-0 bg-indigo-300 dark:bg-indigo-400/60"
              style={{ left: `${percentOf(spent, limit)}%`, width: `${percentOf(reserved, limit)}%` }}
            />
            <div
              className="absolute inset-y-0 w-0.5 bg-amber-600 dark:bg-amber-400"
              style={{ left: `${Math.min(degradeAtPercent, 99.5)}%` }}
              title={`degrades at ${degradeAtPercent}%`}
              aria-hidden
            />
          </>
        ) : null}
      </div>
      <p className="text-xs text-zinc-600 dark:text-zinc-400">
        {text(spent)} spent · {text(reserved)} reserved
        {threshold !== null ? ` · degrades at ${degradeAtPercent}% (${text(threshold)})` : ""}
      </p>
      <p className="text-xs text-zinc-500">Resets {utcText(figures.resetAt)}</p>
    </div>
  );
}
