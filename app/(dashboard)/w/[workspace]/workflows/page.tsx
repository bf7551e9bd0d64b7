import type { Metadata } from "next";
import Link from "next/link";
import { can } from "@/lib/core/roles";
import { requireRole } from "@/lib/server/auth/session";
import { listWorkflowClasses } from "@/lib/server/workflow-classes/list-workflow-classes";
import { CreateWorkflowClassForm, EditWorkflowClassDialog } from "@/components/identity/workflow-class-forms";
import { Badge } from "@/components/ui/badge";
import { Card } from "@/components/ui/card";
import { EmptyState, PageHeader } from "@/components/ui/page-header";
import { Table, Td, Th } from "@/components/ui/table";
import { createWorkflowClassAction, updateWorkflowClassAction } from "./actions";

export const metadata: Metadata = { title: "Workflow classes" };

export default async function WorkflowClassesPage({ params }: { params: Promise<{ workspace: string }> }) {
  const { workspace: slug } = await params;
  const { workspace, role } = await requireRole(slug);
  const classes = await listWorkflowClasses(workspace.id);
  const canEdit = can(role, "workspace.configure");
  return (
    <div className="space-y-6">
      <PageHeader
        title="Workflow classes"
        description="A kind of agent workflow. Its retry policy decides when a failed step is retried and when the task is dead-lettered for a human."
      />
      {canEdit ? (
        <Card>
          <h2 className="mb-4 text-base font-semibold">New workflow class</h2>
          <CreateWorkflowClassForm workspace={workspace.slug} action={createWorkflowClassAction} />
        </Card>
      ) : null}
      {classes.length === 0 ? (
        <EmptyState title="No workflow classes yet">Create one, then create machine identities in it.</EmptyState>
      ) : (
        <Table aria-label="Workflow classes">
          <thead>
            <tr>
              <Th>Name</Th>
              <Th>Attempts</Th>
              <Th>Backoff</Th>
              <Th>Non-retryable</Th>
              <Th>Heartbeat timeout</Th>
              <Th>Identities</Th>
              {canEdit ? <Th className="text-right">Actions</Th> : null}
            </tr>
          </thead>
          <tbody className="divide-y divide-zinc-100 bg-white dark:divide-zinc-800 dark:bg-zinc-900">
            {classes.map((c) => (
              <tr key={c.id}>
                <Td className="font-mono text-xs">
                  <Link href={`/w/${workspace.slug}/workflows/${c.id}`} className="text-indigo-600 hover:underline">
                    {c.name}
                  </Link>
                </Td>
                <Td>{c.maxAttempts}</Td>
                <Td className="text-xs">
                  {c.initialIntervalMs} ms × {c.backoffCoefficient}, ≤ {c.maxIntervalMs} ms
                </Td>
                <Td>
                  {c.nonRetryableErrors.length ? c.nonRetryableErrors.map((e) => <Badge key={e}>{e}</Badge>) : "—"}
                </Td>
                <Td>{c.heartbeatTimeoutSeconds} s</Td>
                <Td>{c._count.identities}</Td>
                {canEdit ? (
                  <Td className="text-right">
                    <EditWorkflowClassDialog
                      workspace={workspace.slug}
                      workflowClass={c}
                      action={updateWorkflowClassAction}
                    />
                  </Td>
                ) : null}
              </tr>
            ))}
          </tbody>
        </Table>
      )}
    </div>
  );
}
