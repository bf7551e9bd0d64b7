import "server-only";
import { getDb } from "../db";

/** The overview's figures: only what exists so far, all read in one round trip each. */
export async function getWorkspaceOverview(workspaceId: string, now: Date = new Date()) {
  const db = getDb();
  const dayAgo = new Date(now.getTime() - 24 * 60 * 60 * 1000);
  const [workspace, roleCounts, auditLastDay, recentEvents, taskCounts, openEscalations, identities] =
    await Promise.all([
      db.workspace.findUniqueOrThrow({
        where: { id: workspaceId },
        select: {
          slug: true,
          name: true,
          timeZone: true,
          dailyRequestLimit: true,
          degradeAtPercent: true,
          stopMessage: true,
          killSwitch: true,
        },
      }),
      db.membership.groupBy({ by: ["role"], where: { workspaceId }, _count: { _all: true } }),
      db.auditEvent.count({ where: { workspaceId, createdAt: { gte: dayAgo } } }),
      db.auditEvent.findMany({
        where: { workspaceId },
        orderBy: [{ createdAt: "desc" }, { id: "desc" }],
        take: 8,
        select: {
          id: true,
          action: true,
          actorType: true,
          actorName: true,
          target: true,
          outcome: true,
          reason: true,
          createdAt: true,
        },
      }),
      db.task.groupBy({ by: ["status"], where: { workspaceId }, _count: { _all: true } }),
      db.escalation.count({ where: { workspaceId, status: { not: "resolved" } } }),
      db.identity.count({ where: { workspaceId, status: "active" } }),
    ]);
  const members = Object.fromEntries(roleCounts.map((r) => [r.role, r._count._all])) as Partial<Record<string, number>>;
  return {
    workspace,
    members: { total: roleCounts.reduce((n, r) => n + r._count._all, 0), byRole: members },
    auditLastDay,
    tasks: Object.fromEntries(taskCounts.map((t) => [t.status, t._count._all])) as Partial<Record<string, number>>,
    openEscalations,
    activeIdentities: identities,
    recentEvents: recentEvents.map((e) => ({ ...e, id: e.id.toString() })),
  };
}
