import type { Metadata } from "next";
import { formatDistanceToNowStrict } from "date-fns";
import { requireRole } from "@/lib/server/auth/session";
import { getWorkspaceOverview } from "@/lib/server/workspaces/get-overview";
import { Badge } from "@/components/ui/badge";
import { Card, Stat } from "@/components/ui/card";
import { Table, Td, Th } from "@/components/ui/table";

export const metadata: Metadata = { title: "Overview" };

export default async function OverviewPage({ params }: { params: Promise<{ workspace: string }> }) {
  const { workspace: slug } = await params;
  const { workspace } = await requireRole(slug);
  const overview = await getWorkspaceOverview(workspace.id);
  const ws = overview.workspace;
  const mode = ws.killSwitch ? "stopped" : "normal";
  return (
    <div className="space-y-6">
      <div className="flex items-center justify-between">
        <h1 className="text-2xl font-semibold">{ws.name}</h1>
        <Badge tone={mode === "stopped" ? "bad" : "good"}>{mode === "stopped" ? "Kill switch on" : "Normal"}</Badge>
      </div>
      <div className="grid gap-4 sm:grid-cols-2 lg:grid-cols-4">
        <Stat label="Members" value={overview.members.total} hint={roleSummary(overview.members.byRole)} />
        <Stat
          label="Daily request limit"
          value={ws.dailyRequestLimit?.toLocaleString("en-US") ?? "Unlimited"}
          hint={`degrades at ${ws.degradeAtPercent}% · resets at midnight ${ws.timeZone}`}
        />
        <Stat label="Audit events (24 h)" value={overview.auditLastDay} />
        <Stat
          label="Tasks running"
          value={(overview.tasks.running ?? 0) + (overview.tasks.retry_scheduled ?? 0)}
          hint={`${overview.tasks.retry_scheduled ?? 0} waiting to retry · ${overview.tasks.committed ?? 0} committed`}
        />
        <Stat label="Open escalations" value={overview.openEscalations} hint="dead-lettered or awaiting a human" />
        <Stat label="Active identities" value={overview.activeIdentities} />
      </div>
      <Card>
        <h2 className="mb-3 text-base font-semibold">Recent activity</h2>
        {overview.recentEvents.length === 0 ? (
          <p className="text-sm text-zinc-500">Nothing has happened in this workspace yet.</p>
        ) : (
          <Table>
            <thead>
              <tr>
                <Th>When</Th>
                <Th>Actor</Th>
                <Th>Action</Th>
                <Th>Target</Th>
                <Th>Outcome</Th>
              </tr>
            </thead>
            <tbody className="divide-y divide-zinc-100 dark:divide-zinc-800">
              {overview.recentEvents.map((e) => (
                <tr key={e.id}>
                  <Td title={e.createdAt.toISOString()}>
                    {formatDistanceToNowStrict(e.createdAt, { addSuffix: true })}
                  </Td>
                  <Td>
                    {e.actorName ?? "—"} <span className="text-xs text-zinc-500">({e.actorType})</span>
                  </Td>
                  <Td className="font-mono text-xs">{e.action}</Td>
                  <Td>{e.target ?? "—"}</Td>
                  <Td>
                    <Badge tone={e.outcome === "success" ? "good" : e.outcome === "denied" ? "bad" : "warn"}>
                      {e.outcome}
                    </Badge>
                  </Td>
                </tr>
              ))}
            </tbody>
          </Table>
        )}
      </Card>
    </div>
  );
}

function roleSummary(byRole: Partial<Record<string, number>>): string {
  return Object.entries(byRole)
    .map(([role, n]) => `${n} ${role}${n === 1 ? "" : "s"}`)
    .join(" · ");
}
