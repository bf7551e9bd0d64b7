"use client";

import { Bar, BarChart, CartesianGrid, Legend, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";

export type DecisionDayRow = {
  day: string;
  allowed: number;
  denied: number;
  approved: number;
  rejected: number;
  expired: number;
  shadowWouldDeny: number;
};

/** Decisions per day, stacked (the style of tasks-per-day-chart); shadow would-deny beside them, not stacked: it decided nothing. */
export function ActionDecisionsChart({ rows, timeZone }: { rows: DecisionDayRow[]; timeZone: string }) {
  return (
    <div className="h-64 w-full" role="img" aria-label={`Action decisions per day (${timeZone})`}>
      <ResponsiveContainer>
        <BarChart
          data={rows.map((r) => ({ ...r, day: r.day.slice(5) }))}
          margin={{ top: 10, right: 20, bottom: 10, left: 0 }}
        >
          <CartesianGrid strokeDasharray="3 3" stroke="#a1a1aa44" />
          <XAxis dataKey="day" tick={{ fontSize: 11 }} />
          <YAxis allowDecimals={false} tick={{ fontSize: 11 }} width={30} />
          <Tooltip />
          <Legend wrapperStyle={{ fontSize: 12 }} />
          <Bar isAnimationActive={false} dataKey="allowed" stackId="d" fill="#6366f1" />
          <Bar isAnimationActive={false} dataKey="approved" stackId="d" fill="#059669" />
          <Bar isAnimationActive={false} dataKey="denied" stackId="d" fill="#dc2626" />
          <Bar isAnimationActive={false} dataKey="rejected" stackId="d" fill="#f97316" />
          <Bar isAnimationActive={false} dataKey="expired" stackId="d" fill="#a1a1aa" />
          <Bar isAnimationActive={false} dataKey="shadowWouldDeny" name="shadow would deny" fill="#0ea5e9" />
        </BarChart>
      </ResponsiveContainer>
    </div>
  );
}
