"use client";

import { CartesianGrid, Legend, ResponsiveContainer, Scatter, ScatterChart, Tooltip, XAxis, YAxis } from "recharts";

export type AttemptPoint = { seconds: number; attempt: number; type: string; label: string };

const SERIES = [
  {
    name: "progress",
    types: ["accepted", "started", "step_completed", "committed", "resolve", "redrive"],
    color: "#4f46e5",
  },
  { name: "failure", types: ["step_failed", "timeout", "escalate", "cancel"], color: "#dc2626" },
];

/** Attempts and steps over time: one dot per event, seconds since the task was accepted. */
export function TaskAttemptsChart({ points }: { points: AttemptPoint[] }) {
  return (
    <div className="h-56 w-full" role="img" aria-label="Attempts and steps over time">
      <ResponsiveContainer>
        <ScatterChart margin={{ top: 10, right: 20, bottom: 10, left: 0 }}>
          <CartesianGrid strokeDasharray="3 3" stroke="#a1a1aa44" />
          <XAxis dataKey="seconds" type="number" name="seconds" unit=" s" tick={{ fontSize: 11 }} />
          <YAxis
            dataKey="attempt"
            type="number"
            name="attempt"
            allowDecimals={false}
            tick={{ fontSize: 11 }}
            width={30}
          />
          <Tooltip
            cursor={{ strokeDasharray: "3 3" }}
            formatter={(value, name) => [value, name]}
            labelFormatter={() => ""}
            content={({ payload }) => {
              const p = payload?.[0]?.payload as AttemptPoint | undefined;
              return p ? (
                <div className="rounded border border-zinc-200 bg-white px-2 py-1 text-xs shadow dark:border-zinc-700 dark:bg-zinc-900">
                  {p.label} · attempt {p.attempt} · +{p.seconds} s
                </div>
              ) : null;
            }}
          />
          <Legend wrapperStyle={{ fontSize: 12 }} />
          {SERIES.map((s) => (
            <Scatter
              key={s.name}
              name={s.name}
              data={points.filter((p) => s.types.includes(p.type))}
              fill={s.color}
              line={false}
            />
          ))}
        </ScatterChart>
      </ResponsiveContainer>
    </div>
  );
}
