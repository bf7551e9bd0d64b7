import type { Metadata } from "next";
import Link from "next/link";
import { notFound } from "next/navigation";
import { can } from "@/lib/core/roles";
import { requireRole } from "@/lib/server/auth/session";
import { getDb } from "@/lib/server/db";
import { listEscalationDeliveries } from "@/lib/server/escalations/list-deliveries";
import { getActionDetail, type ActionWithApprovalState } from "@/lib/server/actions/list-actions";
import { getTask } from "@/lib/server/tasks/get-task";
import { costText, timeText } from "@/components/actions/action-format";
import { ActionStatusBadge } from "@/components/actions/action-status-badge";
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
      actionId: true,
      assignee: { select: { email: true } },
      notes: {
        orderBy: { id: "asc" },
        select: { id: true, action: true, body: true, authorName: true, authorType: true, createdAt: true },
      },
      overdueNotifiedAt: true,
    },
  });
  if (!escalation || (!escalation.taskId && !escalation.actionId)) notFound();
  const now = new Date();
  const [found, action, operators, deliveries] = await Promise.all([
    escalation.taskId ? getTask(db, { taskId: escalation.taskId, workspaceId: workspace.id, now }) : null,
    // An overrun (cause "overrun"): about an action's cost, with no task.
    !escalation.taskId && escalation.actionId ? getActionDetail(workspace.id, escalation.actionId, now) : null,
    db.membership.findMany({
      where: { workspaceId: workspace.id, role: { in: ["admin", "operator"] } },
      select: { user: { select: { id: true, email: true } } },
    }),
    listEscalationDeliveries({ workspaceId: workspace.id, escalationId: escalation.id, role }),
  ]);
  if (!found && !action) notFound();
  const task = found?.task ?? null;
  const subject = task
    ? {
        kind: "task" as const,
        id: task.id,
        href: `/w/${workspace.slug}/tasks/${task.id}`,
        className: task.workflowClass.name,
      }
    : {
        kind: "action" as const,
        id: action!.id,
        href: `/w/${workspace.slug}/actions/${action!.id}`,
        className: action!.workflowClass.name,
      };
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
            {escalation.cause.replace("_", " ")} · {subject.kind}{" "}
            <Link href={subject.href} className="font-mono text-indigo-600 hover:underline">
              {subject.id}
            </Link>{" "}
            ({subject.className}) · opened {escalation.createdAt.toISOString().replace("T", " ").slice(0, 19)}
          </>
        }
        actions={
          <div className="flex items-center gap-2">
            <Badge
              tone={escalation.status === "resolved" ? "good" : escalation.status === "acknowledged" ? "info" : "bad"}
            >
              <span data-testid="escalation-status">{escalation.status}</span>
            </Badge>
            {task ? <TaskStatusBadge status={task.status} /> : <ActionStatusBadge status={action!.status} />}
          </div>
        }
      />
      {escalation.reason ? <Alert tone="warning">Why: {escalation.reason}</Alert> : null}
      {task ? <LastError error={task.lastError} /> : null}
      {escalation.resolution ? <Alert tone="success">Resolution: {escalation.resolution}</Alert> : null}
      {found ? (
        <div className="grid gap-6 lg:grid-cols-2">
          <TaskDataCards input={found.task.input} checkpoint={found.checkpoint} />
        </div>
      ) : (
        <ActionFacts workspace={workspace.slug} action={action!} />
      )}
      {can(role, "escalations.work") ? (
        <Card>
          <h2 className="mb-4 text-base font-semibold">Act</h2>
          <EscalationActions
            actions={ON_CALL_ACTIONS}
            workspace={workspace.slug}
            escalationId={escalation.id}
            status={escalation.status}
            subject={subject.kind}
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
      {found ? (
        <Card>
          <h2 className="mb-4 text-base font-semibold">Task timeline</h2>
          <TaskTimeline events={found.events} />
        </Card>
      ) : null}
    </div>
  );
}

/** An overrun escalation's subject: the action, what it was estimated at, what it cost, under which rule. */
function ActionFacts({ workspace, action }: { workspace: string; action: ActionWithApprovalState }) {
  const rule = action.ruleCopy;
  const facts: [string, React.ReactNode][] = [
    [
      "Action",
      <code key="a" className="font-mono">
        {action.action}
      </code>,
    ],
    ["Summary", action.summary ?? "—"],
    ["Resource", action.resource ?? "—"],
    ["Identity", action.identity.name],
    ["Estimate", costText(action.estimateMicros, action.estimateTokens)],
    ["Actual", costText(action.actualMicros, action.actualTokens)],
    ["Rule", rule ? `${rule.name}${rule.maxEstimateUsd != null ? ` (at most $${rule.maxEstimateUsd})` : ""}` : "—"],
    ["Completed", action.completedAt ? `${timeText(action.completedAt)} UTC` : "—"],
  ];
  return (
    <Card>
      <div className="mb-3 flex flex-wrap items-center justify-between gap-2">
        <h2 className="text-base font-semibold">The action</h2>
        <Link href={`/w/${workspace}/actions/${action.id}`} className="text-sm text-indigo-600 hover:underline">
          Open the action →
        </Link>
      </div>
      <dl className="grid grid-cols-2 gap-4 sm:grid-cols-4" aria-label="The action">
        {facts.map(([label, value]) => (
          <div key={label} className="min-w-0">
            <dt className="text-xs text-zinc-500">{label}</dt>
            <dd className="break-words text-sm">{value}</dd>
          </div>
        ))}
      </dl>
    </Card>
  );
}
