"use client";

import { CartesianGrid, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";

export type AttemptPoint = { seconds: number; attempt: number; type: string; label: string };

const FAILURES = new Set(["step_failed", "timeout", "escalate", "cancel"]);

type DotProps = { cx?: number; cy?: number; payload?: AttemptPoint; index?: number };

function EventDot({ cx, cy, payload, index }: DotProps) {
  if (cx === undefined || cy === undefined || !payload) return null;
  const failure = FAILURES.has(payload.type);
  return (
    <circle key={index} cx={cx} cy={cy} r={5} fill={failure ? "#dc2626" : "#4f46e5"} stroke="white" strokeWidth={1.5} />
  );
}

/** Attempts and steps over time: one dot per event (red for failures), seconds since the task was accepted. */
export function TaskAttemptsChart({ points }: { points: AttemptPoint[] }) {
  return (
    <div className="h-56 w-full" role="img" aria-label="Attempts and steps over time">
      <ResponsiveContainer>
        <LineChart data={points} margin={{ top: 10, right: 20, bottom: 10, left: 0 }}>
          <CartesianGrid strokeDasharray="3 3" stroke="#a1a1aa44" />
          <XAxis dataKey="seconds" type="number" unit=" s" domain={[0, "dataMax"]} tick={{ fontSize: 11 }} />
          <YAxis
            dataKey="attempt"
            allowDecimals={false}
            tick={{ fontSize: 11 }}
            width={30}
            label={{ value: "attempt", angle: -90, fontSize: 11 }}
          />
          <Tooltip
            content={({ payload }) => {
              const p = payload?.[0]?.payload as AttemptPoint | undefined;
              return p ? (
                <div className="rounded border border-zinc-200 bg-white px-2 py-1 text-xs shadow dark:border-zinc-700 dark:bg-zinc-900">
                  {p.label} · attempt {p.attempt} · +{p.seconds} s
                </div>
              ) : null;
            }}
          />
          <Line
            type="stepAfter"
            dataKey="attempt"
            stroke="#a5b4fc"
            strokeWidth={2}
            dot={<EventDot />}
            activeDot={false}
            isAnimationActive={false}
          />
        </LineChart>
      </ResponsiveContainer>
    </div>
  );
}
