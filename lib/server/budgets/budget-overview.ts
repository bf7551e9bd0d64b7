import "server-only";
import { decideMode, remaining } from "@/lib/core/budget";
import { localDay, nextDailyReset } from "@/lib/core/calendar";
import { getDb } from "../db";
import { usageOf } from "./counters";

/** Today's mode and figures for a workspace (the gauge and the dashboard banner). */
export async function getBudgetStatus(workspaceId: string, now: Date = new Date()) {
  const w = await getDb().workspace.findUniqueOrThrow({
    where: { id: workspaceId },
    select: { dailyRequestLimit: true, degradeAtPercent: true, stopMessage: true, killSwitch: true, timeZone: true },
  });
  const day = localDay(now, w.timeZone);
  const used = await usageOf(workspaceId, day);
  return {
    ...w,
    day,
    used,
    remaining: remaining(w.dailyRequestLimit, used),
    mode: decideMode({
      limit: w.dailyRequestLimit,
      used,
      degradeAtPercent: w.degradeAtPercent,
      killSwitch: w.killSwitch,
    }),
    resetAt: nextDailyReset(now, w.timeZone),
  };
}

/** Requests per day (last `days` local days) and today's writes per key. */
export async function getBudgetHistory(workspaceId: string, timeZone: string, days = 30, now: Date = new Date()) {
  const db = getDb();
  const today = localDay(now, timeZone);
  const [perDay, perKey] = await Promise.all([
    db.$queryRaw<{ day: string; used: bigint }[]>`
      SELECT to_char(day, 'YYYY-MM-DD') AS day, sum(used) AS used FROM usage_slot
      WHERE scope_id = ${workspaceId} AND day > ${today}::date - ${days}::int GROUP BY day ORDER BY day`,
    db.$queryRaw<{ id: string; prefix: string; identity: string; ceiling: number | null; used: bigint }[]>`
      SELECT c.id, c.prefix, i.name AS identity, c.daily_write_ceiling AS ceiling, COALESCE(sum(u.used), 0) AS used
      FROM credential c JOIN identity i ON i.id = c.identity_id
      LEFT JOIN usage_slot u ON u.scope_id = c.id AND u.day = ${today}::date
      WHERE c.workspace_id = ${workspaceId} AND c.revoked_at IS NULL AND c.expires_at > ${now}
      GROUP BY c.id, c.prefix, i.name, c.daily_write_ceiling ORDER BY used DESC, c.prefix LIMIT 20`,
  ]);
  const byDay = new Map(perDay.map((r) => [r.day, Number(r.used)]));
  const series = Array.from({ length: days }, (_, i) => {
    const d = new Date(`${today}T00:00:00Z`);
    d.setUTCDate(d.getUTCDate() - (days - 1 - i));
    const key = d.toISOString().slice(0, 10);
    return { day: key, requests: byDay.get(key) ?? 0 };
  });
  return { series, perKey: perKey.map((k) => ({ ...k, used: Number(k.used) })) };
}
