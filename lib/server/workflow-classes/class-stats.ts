import "server-only";
import { getDb } from "../db";

/** Tasks of a class by status, and per day (UTC) over the last `days` days, for the class page. */
export async function getClassStats(workspaceId: string, workflowClassId: string, days = 30, now: Date = new Date()) {
  const db = getDb();
  const since = new Date(now.getTime() - days * 86400 * 1000);
  const [byStatus, perDay] = await Promise.all([
    db.task.groupBy({ by: ["status"], where: { workspaceId, workflowClassId }, _count: { _all: true } }),
    db.$queryRaw<{ day: string; committed: number; failed: number; other: number }[]>`
      SELECT to_char(date_trunc('day', created_at AT TIME ZONE 'UTC'), 'YYYY-MM-DD') AS day,
             count(*) FILTER (WHERE status = 'committed')::int AS committed,
             count(*) FILTER (WHERE status IN ('dead_lettered', 'awaiting_human'))::int AS failed,
             count(*) FILTER (WHERE status NOT IN ('committed', 'dead_lettered', 'awaiting_human'))::int AS other
      FROM task WHERE workspace_id = ${workspaceId} AND workflow_class_id = ${workflowClassId} AND created_at >= ${since}
      GROUP BY 1 ORDER BY 1`,
  ]);
  const filled = new Map(perDay.map((r) => [r.day, r]));
  const rows = Array.from({ length: days }, (_, i) => {
    const day = new Date(now.getTime() - (days - 1 - i) * 86400 * 1000).toISOString().slice(0, 10);
    return filled.get(day) ?? { day, committed: 0, failed: 0, other: 0 };
  });
  return {
    byStatus: Object.fromEntries(byStatus.map((s) => [s.status, s._count._all])) as Partial<Record<string, number>>,
    perDay: rows,
  };
}
