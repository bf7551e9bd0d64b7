import type { Metadata } from "next";
import Link from "next/link";
import { notFound } from "next/navigation";
import { can } from "@/lib/core/roles";
import { TASK_STATUSES } from "@/lib/core/tasks";
import { NotificationsForm } from "@/components/identity/notifications-form";
import { requireRole } from "@/lib/server/auth/session";
import { getDb } from "@/lib/server/db";
import { getClassStats } from "@/lib/server/workflow-classes/class-stats";
import { TasksPerDayChart } from "@/components/charts/tasks-per-day-chart";
import { TaskStatusBadge } from "@/components/tasks/task-status-badge";
import { Card } from "@/components/ui/card";
import { PageHeader } from "@/components/ui/page-header";
import { setNotificationsAction } from "../actions";

export const metadata: Metadata = { title: "Workflow class" };

export default async function WorkflowClassPage({
  params,
}: {
  params: Promise<{ workspace: string; classId: string }>;
}) {
  const { workspace: slug, classId } = await params;
  const { workspace, role } = await requireRole(slug);
  const workflowClass = await getDb().workflowClass.findFirst({ where: { id: classId, workspaceId: workspace.id } });
  if (!workflowClass) notFound();
  const stats = await getClassStats(workspace.id, workflowClass.id);
  const tasksHref = (status?: string) =>
    `/w/${workspace.slug}/tasks?class=${workflowClass.name}${status ? `&status=${status}` : ""}`;
  return (
    <div className="space-y-6">
      <p className="text-sm">
        <Link href={`/w/${workspace.slug}/workflows`} className="text-indigo-600 hover:underline">
          ← Workflow classes
        </Link>
      </p>
      <PageHeader
        title={workflowClass.name}
        description={`${workflowClass.description ? `${workflowClass.description}. ` : ""}Up to ${workflowClass.maxAttempts} attempts, ${workflowClass.initialIntervalMs} ms × ${workflowClass.backoffCoefficient} (≤ ${workflowClass.maxIntervalMs} ms) between them; heartbeat timeout ${workflowClass.heartbeatTimeoutSeconds} s.`}
      />
      <Card>
        <h2 className="mb-3 text-base font-semibold">Tasks by status</h2>
        <ul className="flex flex-wrap gap-3" aria-label="Tasks by status">
          {TASK_STATUSES.map((status) => (
            <li key={status}>
              <Link
                href={tasksHref(status)}
                className="flex items-center gap-2 rounded-md border border-zinc-200 px-3 py-2 text-sm hover:bg-zinc-50 dark:border-zinc-800 dark:hover:bg-zinc-800"
              >
                <TaskStatusBadge status={status} />
                <span className="font-semibold tabular-nums">{stats.byStatus[status] ?? 0}</span>
              </Link>
            </li>
          ))}
        </ul>
      </Card>
      {can(role, "workspace.configure") ? (
        <Card>
          <h2 className="mb-3 text-base font-semibold">Escalation notifications</h2>
          <NotificationsForm
            action={setNotificationsAction}
            workspace={workspace.slug}
            classId={workflowClass.id}
            values={{
              webhookUrl: workflowClass.webhookUrl,
              webhookUrlTier2: workflowClass.webhookUrlTier2,
              ackDeadlineSeconds: workflowClass.ackDeadlineSeconds,
              hasSecret: Boolean(workflowClass.webhookSecretEncrypted),
            }}
          />
        </Card>
      ) : null}
      <Card>
        <h2 className="mb-3 text-base font-semibold">Tasks per day (last 30 days, UTC, by current status)</h2>
        <TasksPerDayChart rows={stats.perDay} />
      </Card>
    </div>
  );
}
