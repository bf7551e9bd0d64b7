"use client";

import {
  Bar,
  BarChart,
  CartesianGrid,
  Legend,
  ReferenceLine,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
} from "recharts";

/** USD per day, for drawing only: the page converts each exact amount to the nearest number. */
export type SpendChartDay = { day: string; spent: number; reserved: number };

const money = (v: unknown) =>
  `$${Number(v).toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 6 })}`;

/** The axis's top: the next round step (1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8 × 10ⁿ) at or above `value` (1 for an empty chart with no limit). */
function niceCeil(value: number): number {
  if (!(value > 0)) return 1;
  const scale = 10 ** Math.floor(Math.log10(value));
  return ([1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10].find((m) => m * scale >= value) ?? 10) * scale;
}

/**
 * Daily USD spend, spent and reserved stacked, with the daily limit and the degrade line drawn
 * even when every day is far below them (the Y domain is stretched to include both).
 */
export function SpendPerDayChart({
  series,
  limit,
  degradeAt,
}: {
  series: SpendChartDay[];
  limit: number | null;
  degradeAt: number | null;
}) {
  const top = niceCeil(Math.max(limit ?? 0, ...series.map((d) => d.spent + d.reserved)) * 1.1);
  return (
    <div className="h-64 w-full" role="img" aria-label="USD spent per day, last 30 days">
      <ResponsiveContainer>
        <BarChart
          data={series.map((d) => ({ ...d, day: d.day.slice(5) }))}
          margin={{ top: 16, right: 20, bottom: 10, left: 0 }}
        >
          <CartesianGrid strokeDasharray="3 3" stroke="#a1a1aa44" />
          <XAxis dataKey="day" tick={{ fontSize: 11 }} />
          <YAxis
            tick={{ fontSize: 11 }}
            width={56}
            tickFormatter={(v: number) => `$${v.toLocaleString("en-US")}`}
            domain={[0, top]}
          />
          <Tooltip formatter={(value) => money(value)} />
          <Legend wrapperStyle={{ fontSize: 12 }} />
          {limit !== null ? (
            <ReferenceLine
              y={limit}
              stroke="#dc2626"
              strokeDasharray="4 4"
              ifOverflow="extendDomain"
              label={{ value: `limit ${money(limit)}`, fontSize: 11, fill: "#dc2626", position: "insideTopLeft" }}
            />
          ) : null}
          {degradeAt !== null ? (
            <ReferenceLine
              y={degradeAt}
              stroke="#d97706"
              strokeDasharray="2 4"
              ifOverflow="extendDomain"
              label={{ value: "degrade", fontSize: 11, fill: "#d97706", position: "insideBottomLeft" }}
            />
          ) : null}
          <Bar isAnimationActive={false} dataKey="spent" stackId="usd" fill="#6366f1" name="spent" />
          <Bar isAnimationActive={false} dataKey="reserved" stackId="usd" fill="#a5b4fc" name="reserved" />
        </BarChart>
      </ResponsiveContainer>
    </div>
  );
}
