import type { Metadata } from "next";
import Link from "next/link";
import { TASK_STATUSES, type TaskStatus } from "@/lib/core/tasks";
import { requireRole } from "@/lib/server/auth/session";
import { getDb } from "@/lib/server/db";
import { decodeTaskCursor, listTasks } from "@/lib/server/tasks/list-tasks";
import { TaskStatusBadge } from "@/components/tasks/task-status-badge";
import { Button } from "@/components/ui/button";
import { Input, Select } from "@/components/ui/field";
import { EmptyState, PageHeader } from "@/components/ui/page-header";
import { Table, Td, Th } from "@/components/ui/table";

export const metadata: Metadata = { title: "Tasks" };

export default async function TasksPage({
  params,
  searchParams,
}: {
  params: Promise<{ workspace: string }>;
  searchParams: Promise<{
    status?: string;
    class?: string;
    namespace?: string;
    correlation?: string;
    from?: string;
    to?: string;
    cursor?: string;
  }>;
}) {
  const { workspace: slug } = await params;
  const query = await searchParams;
  const { workspace } = await requireRole(slug);
  const db = getDb();
  const [classes, namespaces] = await Promise.all([
    db.workflowClass.findMany({
      where: { workspaceId: workspace.id },
      select: { id: true, name: true },
      orderBy: { name: "asc" },
    }),
    db.namespace.findMany({
      where: { workspaceId: workspace.id },
      select: { id: true, name: true },
      orderBy: { name: "asc" },
    }),
  ]);
  const namespace = namespaces.find((n) => n.name === query.namespace);
  const day = (text: string | undefined, endOfDay: boolean) =>
    text && /^\d{4}-\d{2}-\d{2}$/.test(text)
      ? new Date(`${text}T${endOfDay ? "23:59:59.999" : "00:00:00.000"}Z`)
      : undefined;
  const correlation = query.correlation?.trim().slice(0, 128) || undefined;
  const status = (TASK_STATUSES as readonly string[]).includes(query.status ?? "")
    ? (query.status as TaskStatus)
    : undefined;
  const workflowClass = classes.find((c) => c.name === query.class);
  const page = await listTasks(db, {
    workspaceId: workspace.id,
    workflowClassId: workflowClass?.id,
    namespaceId: namespace?.id,
    correlationId: correlation,
    createdFrom: day(query.from, false),
    createdTo: day(query.to, true),
    status,
    limit: 50,
    cursor: query.cursor ? decodeTaskCursor(query.cursor) : null,
    now: new Date(),
  });
  const base = `/w/${workspace.slug}/tasks`;
  const filters = new URLSearchParams(
    Object.entries({
      status,
      class: workflowClass?.name,
      namespace: namespace?.name,
      correlation,
      from: query.from,
      to: query.to,
    }).filter((entry): entry is [string, string] => Boolean(entry[1])),
  );
  return (
    <div className="space-y-6">
      <PageHeader
        title="Tasks"
        description="Runs of your workflow classes, newest first. Each status change is an event on the task's timeline."
      />
      <form className="flex flex-wrap items-end gap-3" role="search">
        <div>
          <label htmlFor="status" className="mb-1 block text-xs font-medium text-zinc-500">
            Status
          </label>
          <Select id="status" name="status" defaultValue={status ?? ""} className="w-48">
            <option value="">any</option>
            {TASK_STATUSES.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </Select>
        </div>
        <div>
          <label htmlFor="class" className="mb-1 block text-xs font-medium text-zinc-500">
            Workflow class
          </label>
          <Select id="class" name="class" defaultValue={workflowClass?.name ?? ""} className="w-48">
            <option value="">any</option>
            {classes.map((c) => (
              <option key={c.id} value={c.name}>
                {c.name}
              </option>
            ))}
          </Select>
        </div>
        <div>
          <label htmlFor="namespace" className="mb-1 block text-xs font-medium text-zinc-500">
            Namespace
          </label>
          <Select id="namespace" name="namespace" defaultValue={namespace?.name ?? ""} className="w-48">
            <option value="">any</option>
            {namespaces.map((n) => (
              <option key={n.id} value={n.name}>
                {n.name}
              </option>
            ))}
          </Select>
        </div>
        <div>
          <label htmlFor="correlation" className="mb-1 block text-xs font-medium text-zinc-500">
            Correlation id
          </label>
          <Input id="correlation" name="correlation" defaultValue={correlation ?? ""} className="w-48" />
        </div>
        <div>
          <label htmlFor="from" className="mb-1 block text-xs font-medium text-zinc-500">
            Created from (UTC)
          </label>
          <Input id="from" name="from" type="date" defaultValue={query.from ?? ""} />
        </div>
        <div>
          <label htmlFor="to" className="mb-1 block text-xs font-medium text-zinc-500">
            to
          </label>
          <Input id="to" name="to" type="date" defaultValue={query.to ?? ""} />
        </div>
        <Button type="submit" variant="secondary">
          Filter
        </Button>
      </form>
      {page.items.length === 0 ? (
        <EmptyState title="No tasks match">Agents create tasks with POST /api/v1/tasks.</EmptyState>
      ) : (
        <Table aria-label="Tasks">
          <thead>
            <tr>
              <Th>Task</Th>
              <Th>Class</Th>
              <Th>Status</Th>
              <Th>Attempt</Th>
              <Th>Correlation</Th>
              <Th>Updated</Th>
            </tr>
          </thead>
          <tbody className="divide-y divide-zinc-100 bg-white dark:divide-zinc-800 dark:bg-zinc-900">
            {page.items.map((t) => (
              <tr key={t.id}>
                <Td className="font-mono text-xs">
                  <Link href={`${base}/${t.id}`} className="text-indigo-600 hover:underline">
                    {t.id}
                  </Link>
                </Td>
                <Td>{t.workflowClass.name}</Td>
                <Td>
                  <TaskStatusBadge status={t.status} />
                </Td>
                <Td>
                  {t.attempt} / {t.maxAttempts}
                </Td>
                <Td className="font-mono text-xs">{t.correlationId}</Td>
                <Td className="whitespace-nowrap text-xs">
                  {t.updatedAt.toISOString().replace("T", " ").slice(0, 19)}
                </Td>
              </tr>
            ))}
          </tbody>
        </Table>
      )}
      {page.nextCursor ? (
        <Link
          className="text-sm text-indigo-600 hover:underline"
          href={`${base}?${filters.toString()}${filters.size ? "&" : ""}cursor=${page.nextCursor}`}
        >
          Older tasks →
        </Link>
      ) : null}
    </div>
  );
}
