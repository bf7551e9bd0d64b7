import type { Metadata } from "next";
import Link from "next/link";
import { formatDistanceStrict } from "date-fns";
import { can } from "@/lib/core/roles";
import type { EscalationCause, EscalationStatus } from "@/lib/generated/prisma/client";
import { requireRole } from "@/lib/server/auth/session";
import { getDb } from "@/lib/server/db";
import { escalationSubject, listEscalations } from "@/lib/server/escalations/list-escalations";
import { EscalationQueue } from "@/components/escalations/escalation-queue";
import { Button } from "@/components/ui/button";
import { Select } from "@/components/ui/field";
import { EmptyState, PageHeader } from "@/components/ui/page-header";
import { cn } from "@/lib/utils";
import { bulkAction } from "./actions";

export const metadata: Metadata = { title: "Escalations" };

const TABS: EscalationStatus[] = ["open", "acknowledged", "resolved"];
const CAUSES: EscalationCause[] = ["dead_letter", "agent_request", "timeout"];
const AGES = [
  ["", "any age"],
  ["15", "older than 15 min"],
  ["60", "older than 1 h"],
  ["1440", "older than 1 day"],
] as const;

export default async function EscalationsPage({
  params,
  searchParams,
}: {
  params: Promise<{ workspace: string }>;
  searchParams: Promise<{ status?: string; class?: string; cause?: string; assignee?: string; age?: string }>;
}) {
  const { workspace: slug } = await params;
  const query = await searchParams;
  const { workspace, role } = await requireRole(slug);
  const db = getDb();
  const status = TABS.includes(query.status as EscalationStatus) ? (query.status as EscalationStatus) : "open";
  const [classes, operators] = await Promise.all([
    db.workflowClass.findMany({
      where: { workspaceId: workspace.id },
      select: { id: true, name: true },
      orderBy: { name: "asc" },
    }),
    db.membership.findMany({
      where: { workspaceId: workspace.id, role: { in: ["admin", "operator"] } },
      select: { user: { select: { id: true, email: true } } },
    }),
  ]);
  const workflowClass = classes.find((c) => c.name === query.class);
  const cause = CAUSES.includes(query.cause as EscalationCause) ? (query.cause as EscalationCause) : undefined;
  const assignee = operators.find((o) => o.user.id === query.assignee)?.user;
  const age = Number(query.age) || undefined;
  const now = new Date();
  const rows = await listEscalations(
    workspace.id,
    { status, workflowClassId: workflowClass?.id, cause, assigneeUserId: assignee?.id, olderThanMinutes: age },
    now,
  );
  const counts = await db.escalation.groupBy({
    by: ["status"],
    where: { workspaceId: workspace.id },
    _count: { _all: true },
  });
  const count = (s: string) => counts.find((c) => c.status === s)?._count._all ?? 0;
  const base = `/w/${workspace.slug}/escalations`;
  return (
    <div className="space-y-6">
      <PageHeader
        title="Escalations"
        description="Tasks an agent gave up on or asked a human about. Oldest first: work from the top."
      />
      <nav aria-label="Escalation status" className="flex gap-2 border-b border-zinc-200 dark:border-zinc-800">
        {TABS.map((tab) => (
          <Link
            key={tab}
            href={`${base}?status=${tab}`}
            aria-current={tab === status ? "page" : undefined}
            className={cn(
              "-mb-px border-b-2 px-3 py-2 text-sm font-medium capitalize",
              tab === status
                ? "border-indigo-600 text-indigo-700 dark:text-indigo-300"
                : "border-transparent text-zinc-600 hover:text-zinc-900 dark:text-zinc-400",
            )}
          >
            {tab} ({count(tab)})
          </Link>
        ))}
      </nav>
      <form className="flex flex-wrap items-end gap-3" role="search">
        <input type="hidden" name="status" value={status} />
        {[
          ["class", "Workflow class", workflowClass?.name ?? "", classes.map((c) => [c.name, c.name])],
          ["cause", "Cause", cause ?? "", CAUSES.map((c) => [c, c.replace("_", " ")])],
          ["assignee", "Assignee", assignee?.id ?? "", operators.map((o) => [o.user.id, o.user.email])],
        ].map(([name, label, value, options]) => (
          <div key={name as string}>
            <label htmlFor={`f-${name}`} className="mb-1 block text-xs font-medium text-zinc-500">
              {label as string}
            </label>
            <Select id={`f-${name}`} name={name as string} defaultValue={value as string} className="w-48">
              <option value="">any</option>
              {(options as string[][]).map(([v, l]) => (
                <option key={v} value={v}>
                  {l}
                </option>
              ))}
            </Select>
          </div>
        ))}
        <div>
          <label htmlFor="f-age" className="mb-1 block text-xs font-medium text-zinc-500">
            Age
          </label>
          <Select id="f-age" name="age" defaultValue={query.age ?? ""} className="w-48">
            {AGES.map(([v, l]) => (
              <option key={v} value={v}>
                {l}
              </option>
            ))}
          </Select>
        </div>
        <Button type="submit" variant="secondary">
          Filter
        </Button>
      </form>
      {rows.length === 0 ? (
        <EmptyState title={`No ${status} escalations`}>
          {status === "open" ? "Nothing needs a human right now." : "Nothing here with these filters."}
        </EmptyState>
      ) : (
        <EscalationQueue
          bulkAction={bulkAction}
          workspace={workspace.slug}
          selectable={status !== "resolved" && can(role, "escalations.work")}
          rows={rows.map((r) => ({
            id: r.id,
            cause: r.cause,
            reason: r.reason,
            age: formatDistanceStrict(r.createdAt, now),
            subject: escalationSubject(r),
            assignee: r.assignee?.email ?? null,
            resolution: r.resolution,
            overdue: r.status === "open" && r.overdueNotifiedAt !== null,
          }))}
        />
      )}
    </div>
  );
}
