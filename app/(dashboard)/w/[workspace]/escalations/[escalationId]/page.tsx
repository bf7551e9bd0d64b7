import type { Metadata } from "next";
import Link from "next/link";
import { notFound } from "next/navigation";
import { can } from "@/lib/core/roles";
import { requireRole } from "@/lib/server/auth/session";
import { getDb } from "@/lib/server/db";
import { listEscalationDeliveries } from "@/lib/server/escalations/list-deliveries";
import { getTask } from "@/lib/server/tasks/get-task";
import { EscalationActions } from "@/components/escalations/escalation-actions";
import { LastError } from "@/components/tasks/last-error";
import { TaskStatusBadge } from "@/components/tasks/task-status-badge";
import { TaskDataCards, TaskTimeline } from "@/components/tasks/task-timeline";
import { Alert } from "@/components/ui/alert";
import { Badge } from "@/components/ui/badge";
import { Card } from "@/components/ui/card";
import { PageHeader } from "@/components/ui/page-header";
import { Table, Td, Th } from "@/components/ui/table";
import {
  acknowledgeAction,
  addNoteAction,
  cancelAction,
  reassignAction,
  redriveAction,
  resolveAction,
} from "../actions";

const ON_CALL_ACTIONS = {
  acknowledge: acknowledgeAction,
  redrive: redriveAction,
  resolve: resolveAction,
  cancel: cancelAction,
  reassign: reassignAction,
  addNote: addNoteAction,
};

export const metadata: Metadata = { title: "Escalation" };

export default async function EscalationPage({
  params,
}: {
  params: Promise<{ workspace: string; escalationId: string }>;
}) {
  const { workspace: slug, escalationId } = await params;
  const { workspace, role } = await requireRole(slug);
  const db = getDb();
  const escalation = await db.escalation.findFirst({
    where: { id: escalationId, workspaceId: workspace.id },
    select: {
      id: true,
      cause: true,
      status: true,
      reason: true,
      resolution: true,
      createdAt: true,
      resolvedAt: true,
      taskId: true,
      assignee: { select: { email: true } },
      notes: {
        orderBy: { id: "asc" },
        select: { id: true, action: true, body: true, authorName: true, authorType: true, createdAt: true },
      },
      overdueNotifiedAt: true,
    },
  });
  if (!escalation?.taskId) notFound();
  const [{ task, events, checkpoint }, operators, deliveries] = await Promise.all([
    getTask(db, { taskId: escalation.taskId, workspaceId: workspace.id, now: new Date() }),
    db.membership.findMany({
      where: { workspaceId: workspace.id, role: { in: ["admin", "operator"] } },
      select: { user: { select: { id: true, email: true } } },
    }),
    listEscalationDeliveries({ workspaceId: workspace.id, escalationId: escalation.id, role }),
  ]);
  return (
    <div className="space-y-6">
      <p className="text-sm">
        <Link
          href={`/w/${workspace.slug}/escalations?status=${escalation.status}`}
          className="text-indigo-600 hover:underline"
        >
          ← Escalations
        </Link>
      </p>
      <PageHeader
        title={escalation.id}
        description={
          <>
            {escalation.cause.replace("_", " ")} · task{" "}
            <Link href={`/w/${workspace.slug}/tasks/${task.id}`} className="font-mono text-indigo-600 hover:underline">
              {task.id}
            </Link>{" "}
            ({task.workflowClass.name}) · opened {escalation.createdAt.toISOString().replace("T", " ").slice(0, 19)}
          </>
        }
        actions={
          <div className="flex items-center gap-2">
            <Badge
              tone={escalation.status === "resolved" ? "good" : escalation.status === "acknowledged" ? "info" : "bad"}
            >
              <span data-testid="escalation-status">{escalation.status}</span>
            </Badge>
            <TaskStatusBadge status={task.status} />
          </div>
        }
      />
      {escalation.reason ? <Alert tone="warning">Why: {escalation.reason}</Alert> : null}
      <LastError error={task.lastError} />
      {escalation.resolution ? <Alert tone="success">Resolution: {escalation.resolution}</Alert> : null}
      <div className="grid gap-6 lg:grid-cols-2">
        <TaskDataCards input={task.input} checkpoint={checkpoint} />
      </div>
      {can(role, "escalations.work") ? (
        <Card>
          <h2 className="mb-4 text-base font-semibold">Act</h2>
          <EscalationActions
            actions={ON_CALL_ACTIONS}
            workspace={workspace.slug}
            escalationId={escalation.id}
            status={escalation.status}
            operators={operators.map((o) => o.user)}
          />
        </Card>
      ) : null}
      {escalation.overdueNotifiedAt && escalation.status === "open" ? (
        <Alert tone="error">
          Overdue: not acknowledged within the class’s deadline (re-notified{" "}
          {escalation.overdueNotifiedAt.toISOString()}).
        </Alert>
      ) : null}
      <Card>
        <h2 className="mb-3 text-base font-semibold">Notifications</h2>
        {deliveries.length === 0 ? (
          <p className="text-sm text-zinc-500">No webhook is set for this workflow class.</p>
        ) : (
          <Table aria-label="Notifications">
            <thead>
              <tr>
                <Th>Tier</Th>
                <Th>URL</Th>
                <Th>Status</Th>
                <Th>Attempts</Th>
                <Th>Last result</Th>
                <Th>Next attempt</Th>
              </tr>
            </thead>
            <tbody className="divide-y divide-zinc-100 dark:divide-zinc-800">
              {deliveries.map((d) => (
                <tr key={d.id}>
                  <Td>{d.tier === 1 ? "first" : "overdue"}</Td>
                  <Td className="max-w-xs truncate font-mono text-xs">{d.destination}</Td>
                  <Td>
                    <Badge tone={d.status === "delivered" ? "good" : d.status === "failed" ? "bad" : "warn"}>
                      {d.status}
                    </Badge>
                  </Td>
                  <Td>{d.attempts}</Td>
                  <Td className="text-xs">{d.result}</Td>
                  <Td className="text-xs">
                    {d.nextAttemptAt ? d.nextAttemptAt.toISOString().replace("T", " ").slice(0, 19) : "—"}
                  </Td>
                </tr>
              ))}
            </tbody>
          </Table>
        )}
      </Card>
      <Card>
        <h2 className="mb-3 text-base font-semibold">Notes</h2>
        <p className="mb-3 text-sm text-zinc-600 dark:text-zinc-400">
          Assignee: {escalation.assignee?.email ?? "nobody yet"}
        </p>
        {escalation.notes.length === 0 ? (
          <p className="text-sm text-zinc-500">No notes yet.</p>
        ) : (
          <ol className="space-y-3" aria-label="Notes">
            {escalation.notes.map((n) => (
              <li key={n.id.toString()} className="text-sm">
                <span className="font-medium">{n.authorName}</span> <Badge>{n.action}</Badge>{" "}
                <span className="text-xs text-zinc-500">
                  {n.createdAt.toISOString().replace("T", " ").slice(0, 19)}
                </span>
                <p className="mt-1 whitespace-pre-wrap">{n.body}</p>
              </li>
            ))}
          </ol>
        )}
      </Card>
      <Card>
        <h2 className="mb-4 text-base font-semibold">Task timeline</h2>
        <TaskTimeline events={events} />
      </Card>
    </div>
  );
}
