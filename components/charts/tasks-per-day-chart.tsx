"use client";

import { Bar, BarChart, CartesianGrid, Legend, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";

export type DayRow = { day: string; committed: number; failed: number; other: number };

export function TasksPerDayChart({ rows }: { rows: DayRow[] }) {
  return (
    <div className="h-64 w-full" role="img" aria-label="Tasks per day">
      <ResponsiveContainer>
        <BarChart data={rows} margin={{ top: 10, right: 20, bottom: 10, left: 0 }}>
          <CartesianGrid strokeDasharray="3 3" stroke="#a1a1aa44" />
          <XAxis dataKey="day" tick={{ fontSize: 11 }} />
          <YAxis allowDecimals={false} tick={{ fontSize: 11 }} width={30} />
          <Tooltip />
          <Legend wrapperStyle={{ fontSize: 12 }} />
          <Bar dataKey="committed" stackId="t" fill="#059669" />
          <Bar dataKey="failed" name="dead-lettered / escalated" stackId="t" fill="#dc2626" />
          <Bar dataKey="other" name="in progress / other" stackId="t" fill="#6366f1" />
        </BarChart>
      </ResponsiveContainer>
    </div>
  );
}
