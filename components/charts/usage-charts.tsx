"use client";

import { Bar, BarChart, CartesianGrid, ReferenceLine, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";

export function RequestsPerDayChart({
  series,
  limit,
}: {
  series: { day: string; requests: number }[];
  limit: number | null;
}) {
  return (
    <div className="h-64 w-full" role="img" aria-label="Requests per day, last 30 days">
      <ResponsiveContainer>
        <BarChart data={series} margin={{ top: 10, right: 20, bottom: 10, left: 10 }}>
          <CartesianGrid strokeDasharray="3 3" stroke="#a1a1aa44" />
          <XAxis dataKey="day" tick={{ fontSize: 11 }} />
          <YAxis allowDecimals={false} tick={{ fontSize: 11 }} width={50} />
          <Tooltip />
          {limit ? (
            <ReferenceLine
              y={limit}
              stroke="#dc2626"
              strokeDasharray="4 4"
              label={{ value: "limit", fontSize: 11, fill: "#dc2626" }}
            />
          ) : null}
          <Bar dataKey="requests" fill="#6366f1" isAnimationActive={false} />
        </BarChart>
      </ResponsiveContainer>
    </div>
  );
}

export function WritesPerKeyChart({ keys }: { keys: { prefix: string; identity: string; used: number }[] }) {
  const data = keys.map((k) => ({ key: `${k.identity} ${k.prefix}…`, writes: k.used }));
  return (
    <div className="h-64 w-full" role="img" aria-label="Writes per key today">
      <ResponsiveContainer>
        <BarChart data={data} layout="vertical" margin={{ top: 10, right: 20, bottom: 10, left: 10 }}>
          <CartesianGrid strokeDasharray="3 3" stroke="#a1a1aa44" />
          <XAxis type="number" allowDecimals={false} tick={{ fontSize: 11 }} />
          <YAxis type="category" dataKey="key" width={180} tick={{ fontSize: 11 }} />
          <Tooltip />
          <Bar dataKey="writes" fill="#059669" isAnimationActive={false} />
        </BarChart>
      </ResponsiveContainer>
    </div>
  );
}
