import type { Metadata } from "next";
import Link from "next/link";
import { notFound } from "next/navigation";
import { isAppError } from "@/lib/core/errors";
import { can } from "@/lib/core/roles";
import { requireRole } from "@/lib/server/auth/session";
import { getDb } from "@/lib/server/db";
import { listActions } from "@/lib/server/actions/list-actions";
import { getTask } from "@/lib/server/tasks/get-task";
import { TaskActions } from "@/components/actions/task-actions";
import { TaskAttemptsChart } from "@/components/charts/task-attempts-chart";
import { LastError } from "@/components/tasks/last-error";
import { TaskStatusBadge } from "@/components/tasks/task-status-badge";
import { Json, TaskDataCards, TaskTimeline } from "@/components/tasks/task-timeline";
import { Alert } from "@/components/ui/alert";
import { Card } from "@/components/ui/card";
import { PageHeader } from "@/components/ui/page-header";

export const metadata: Metadata = { title: "Task" };

export default async function TaskPage({ params }: { params: Promise<{ workspace: string; taskId: string }> }) {
  const { workspace: slug, taskId } = await params;
  const { workspace, role } = await requireRole(slug);
  const db = getDb();
  const found = await getTask(db, { taskId, workspaceId: workspace.id, now: new Date() }).catch((error: unknown) => {
    if (isAppError(error) && error.code === "not_found") return null;
    throw error;
  });
  if (!found) notFound();
  const { task, events, checkpoint } = found;
  const [escalations, actions] = await Promise.all([
    db.escalation.findMany({
      where: { taskId: task.id },
      orderBy: { createdAt: "desc" },
      select: { id: true, cause: true, status: true, reason: true, createdAt: true },
    }),
    listActions(workspace.id, { taskId: task.id }, { limit: 200 }),
  ]);
  return (
    <div className="space-y-6">
      <p className="text-sm">
        <Link href={`/w/${workspace.slug}/tasks`} className="text-indigo-600 hover:underline">
          ← Tasks
        </Link>
      </p>
      <PageHeader
        title={task.id}
        description={
          <>
            {task.workflowClass.name} · namespace <code className="font-mono">{task.namespace.name}</code> · correlation{" "}
            <code className="font-mono">{task.correlationId}</code>
          </>
        }
        actions={
          <div className="flex items-center gap-3 text-sm">
            <TaskStatusBadge status={task.status} />
            <span>
              attempt {task.attempt} / {task.maxAttempts}
            </span>
            {can(role, "audit.read") ? (
              <Link
                href={`/w/${workspace.slug}/audit?${new URLSearchParams({ target: task.id })}`}
                className="text-indigo-600 hover:underline"
              >
                Audit trail of this task →
              </Link>
            ) : null}
          </div>
        }
      />
      {escalations.map((e) => (
        <Alert key={e.id} tone={e.status === "resolved" ? "info" : "warning"}>
          Escalation <code className="font-mono">{e.id}</code> ({e.cause.replace("_", " ")}, {e.status}) opened{" "}
          {e.createdAt.toISOString().replace("T", " ").slice(0, 19)}
          {e.reason ? `: ${e.reason}` : ""}
        </Alert>
      ))}
      {actions.items
        .filter((a) => a.status === "pending_approval")
        .map((a) => (
          <Alert key={a.id} tone="warning">
            Waiting for approval:{" "}
            <Link href={`/w/${workspace.slug}/actions/${a.id}`} className="font-mono underline">
              {a.action}
            </Link>
            {a.summary ? ` (${a.summary})` : ""}.
          </Alert>
        ))}
      {task.retryAt ? <Alert tone="info">Next attempt due at {task.retryAt.toISOString()}.</Alert> : null}
      <LastError error={task.lastError} />
      <div className="grid gap-6 lg:grid-cols-3">
        <TaskDataCards input={task.input} checkpoint={checkpoint} />
        <Card>
          <h2 className="mb-2 text-base font-semibold">Output</h2>
          <Json value={task.output} />
        </Card>
      </div>
      <Card>
        <h2 className="mb-2 text-base font-semibold">Attempts and steps over time</h2>
        <TaskAttemptsChart
          points={events.map((e) => ({
            seconds: Math.round((e.createdAt.getTime() - task.createdAt.getTime()) / 100) / 10,
            attempt: e.attempt,
            type: e.type,
            label: e.step ? `${e.type} (${e.step})` : e.type,
          }))}
        />
      </Card>
      <Card>
        <h2 className="mb-4 text-base font-semibold">Actions</h2>
        <TaskActions workspace={workspace.slug} actions={[...actions.items].reverse()} />
      </Card>
      <Card>
        <h2 className="mb-4 text-base font-semibold">Timeline</h2>
        <TaskTimeline events={events} />
      </Card>
    </div>
  );
}
