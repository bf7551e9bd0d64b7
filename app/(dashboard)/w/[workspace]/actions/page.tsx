import type { Metadata } from "next";
import Link from "next/link";
import { ACTION_STATUSES, type ActionStatus } from "@/lib/core/actions";
import { actionDecisionsPerDay, decodeActionCursor, listActions } from "@/lib/server/actions/list-actions";
import { requireRole } from "@/lib/server/auth/session";
import { getDb } from "@/lib/server/db";
import { ActionCost } from "@/components/actions/action-cost";
import { timeText } from "@/components/actions/action-format";
import { ActionStatusBadge } from "@/components/actions/action-status-badge";
import { ActionDecisionsChart } from "@/components/charts/action-decisions-chart";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Card } from "@/components/ui/card";
import { Input, Select } from "@/components/ui/field";
import { EmptyState, PageHeader } from "@/components/ui/page-header";
import { Table, Td, Th } from "@/components/ui/table";

export const metadata: Metadata = { title: "Actions" };

type Query = {
  status?: string;
  action?: string;
  identity?: string;
  rule?: string;
  from?: string;
  to?: string;
  cursor?: string;
};

const day = (text: string | undefined, endOfDay: boolean) =>
  text && /^\d{4}-\d{2}-\d{2}$/.test(text)
    ? new Date(`${text}T${endOfDay ? "23:59:59.999" : "00:00:00.000"}Z`)
    : undefined;

export default async function ActionsPage({
  params,
  searchParams,
}: {
  params: Promise<{ workspace: string }>;
  searchParams: Promise<Query>;
}) {
  const { workspace: slug } = await params;
  const query = await searchParams;
  const { workspace } = await requireRole(slug);
  const db = getDb();
  const [identities, { timeZone }] = await Promise.all([
    db.identity.findMany({
      where: { workspaceId: workspace.id },
      select: { id: true, name: true },
      orderBy: { name: "asc" },
    }),
    db.workspace.findUniqueOrThrow({ where: { id: workspace.id }, select: { timeZone: true } }),
  ]);
  const status = (ACTION_STATUSES as readonly string[]).includes(query.status ?? "")
    ? (query.status as ActionStatus)
    : undefined;
  const identity = identities.find((i) => i.name === query.identity);
  const actionName = query.action?.trim().slice(0, 128) || undefined;
  const rule = query.rule?.trim().slice(0, 128) || undefined;
  const [page, perDay] = await Promise.all([
    listActions(
      workspace.id,
      {
        status,
        action: actionName,
        identityId: identity?.id,
        rule,
        createdFrom: day(query.from, false),
        createdTo: day(query.to, true),
      },
      { cursor: decodeActionCursor(query.cursor), limit: 50 },
    ),
    actionDecisionsPerDay(workspace.id, timeZone),
  ]);
  const base = `/w/${workspace.slug}/actions`;
  const filters = new URLSearchParams(
    Object.entries({
      status,
      action: actionName,
      identity: identity?.name,
      rule,
      from: day(query.from, false) ? query.from : undefined,
      to: day(query.to, true) ? query.to : undefined,
    }).filter((entry): entry is [string, string] => Boolean(entry[1])),
  );
  const totals = perDay.reduce(
    (t, d) => ({
      decided: t.decided + d.allowed + d.denied + d.approved + d.rejected + d.expired,
      shadow: t.shadow + d.shadowWouldDeny,
    }),
    { decided: 0, shadow: 0 },
  );
  return (
    <div className="space-y-6">
      <PageHeader
        title="Actions"
        description="Everything agents asked to do outside BaseKV, newest first: what the rules decided, who approved, what it cost."
      />
      <Card>
        <h2 className="text-base font-semibold">Decisions per day</h2>
        <p className="mb-2 text-xs text-zinc-500">
          Last 14 days in {timeZone}: {totals.decided} decision{totals.decided === 1 ? "" : "s"}; a shadow rule would
          have denied {totals.shadow}.
        </p>
        <ActionDecisionsChart rows={perDay} timeZone={timeZone} />
      </Card>
      <form className="flex flex-wrap items-end gap-3" role="search" aria-label="Filter actions">
        <div>
          <label htmlFor="f-status" className="mb-1 block text-xs font-medium text-zinc-500">
            Status
          </label>
          <Select id="f-status" name="status" defaultValue={status ?? ""} className="w-44">
            <option value="">any</option>
            {ACTION_STATUSES.map((s) => (
              <option key={s} value={s}>
                {s.replace("_", " ")}
              </option>
            ))}
          </Select>
        </div>
        <div>
          <label htmlFor="f-action" className="mb-1 block text-xs font-medium text-zinc-500">
            Action
          </label>
          <Input
            id="f-action"
            name="action"
            defaultValue={actionName ?? ""}
            placeholder="payments.refund or payments.*"
            className="w-56"
          />
        </div>
        <div>
          <label htmlFor="f-identity" className="mb-1 block text-xs font-medium text-zinc-500">
            Identity
          </label>
          <Select id="f-identity" name="identity" defaultValue={identity?.name ?? ""} className="w-44">
            <option value="">any</option>
            {identities.map((i) => (
              <option key={i.id} value={i.name}>
                {i.name}
              </option>
            ))}
          </Select>
        </div>
        <div>
          <label htmlFor="f-rule" className="mb-1 block text-xs font-medium text-zinc-500">
            Rule (id or name)
          </label>
          <Input id="f-rule" name="rule" defaultValue={rule ?? ""} className="w-44" />
        </div>
        <div>
          <label htmlFor="f-from" className="mb-1 block text-xs font-medium text-zinc-500">
            Created from (UTC)
          </label>
          <Input id="f-from" name="from" type="date" defaultValue={query.from ?? ""} />
        </div>
        <div>
          <label htmlFor="f-to" className="mb-1 block text-xs font-medium text-zinc-500">
            to
          </label>
          <Input id="f-to" name="to" type="date" defaultValue={query.to ?? ""} />
        </div>
        <Button type="submit" variant="secondary">
          Filter
        </Button>
        {filters.size ? (
          <Link href={base} className="self-center text-sm text-indigo-600 hover:underline">
            Clear
          </Link>
        ) : null}
      </form>
      {page.items.length === 0 ? (
        <EmptyState title="No actions match">
          Agents ask with POST /api/v1/actions before they act; widen the filters or the dates.
        </EmptyState>
      ) : (
        <Table aria-label="Actions">
          <thead>
            <tr>
              <Th>Action</Th>
              <Th>Status</Th>
              <Th>Identity</Th>
              <Th>Rule</Th>
              <Th>Cost</Th>
              <Th>Requested (UTC)</Th>
            </tr>
          </thead>
          <tbody className="divide-y divide-zinc-100 bg-white dark:divide-zinc-800 dark:bg-zinc-900">
            {page.items.map((a) => {
              const shadowDenied = (a.shadow as { wouldBe?: string }[]).some((s) => s.wouldBe === "denied");
              return (
                <tr key={a.id}>
                  <Td>
                    <Link href={`${base}/${a.id}`} className="font-mono text-xs text-indigo-600 hover:underline">
                      {a.action}
                    </Link>
                    <div className="font-mono text-xs text-zinc-500">{a.id}</div>
                    {a.summary ? (
                      <div className="max-w-xs truncate text-xs text-zinc-600 dark:text-zinc-400">{a.summary}</div>
                    ) : null}
                  </Td>
                  <Td>
                    <div className="flex flex-wrap gap-1">
                      <ActionStatusBadge status={a.status} />
                      {a.overrun ? <Badge tone="bad">overrun</Badge> : null}
                      {shadowDenied ? <Badge tone="info">shadow: would deny</Badge> : null}
                    </div>
                  </Td>
                  <Td>
                    {a.identity.name}
                    <div className="text-xs text-zinc-500">{a.workflowClass.name}</div>
                  </Td>
                  <Td className="text-xs">{a.ruleName ?? <span className="text-zinc-500">workspace default</span>}</Td>
                  <Td className="whitespace-nowrap text-xs">
                    <ActionCost action={a} />
                  </Td>
                  <Td className="whitespace-nowrap text-xs">{timeText(a.createdAt)}</Td>
                </tr>
              );
            })}
          </tbody>
        </Table>
      )}
      <nav aria-label="Pages" className="flex gap-4 text-sm">
        {query.cursor ? (
          <Link href={`${base}${filters.size ? `?${filters}` : ""}`} className="text-indigo-600 hover:underline">
            ← Newest
          </Link>
        ) : null}
        {page.nextCursor ? (
          <Link
            href={`${base}?${new URLSearchParams([...filters, ["cursor", page.nextCursor]])}`}
            className="text-indigo-600 hover:underline"
          >
            Next page →
          </Link>
        ) : null}
      </nav>
    </div>
  );
}
