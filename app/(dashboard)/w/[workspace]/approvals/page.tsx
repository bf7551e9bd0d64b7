import type { Metadata } from "next";
import Link from "next/link";
import { can } from "@/lib/core/roles";
import { leverStates } from "@/lib/server/actions/freeze-levers";
import { countPending, decodeActionCursor, listActions, listPendingApprovals } from "@/lib/server/actions/list-actions";
import { requireRole } from "@/lib/server/auth/session";
import { getDb } from "@/lib/server/db";
import { costText, prettyJson, timeLeftText, timeText } from "@/components/actions/action-format";
import { ActionStatusBadge } from "@/components/actions/action-status-badge";
import { ApprovalQueue, type PendingRow } from "@/components/actions/approval-queue";
import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { Input, Select } from "@/components/ui/field";
import { EmptyState, PageHeader } from "@/components/ui/page-header";
import { Table, Td, Th } from "@/components/ui/table";
import { cn } from "@/lib/utils";
import {
  approveAction,
  bulkRejectAction,
  disableIdentityAction,
  freezePatternAction,
  liftFreezeAction,
  rejectAction,
} from "./actions";

export const metadata: Metadata = { title: "Approvals" };

const QUEUE_ACTIONS = {
  approve: approveAction,
  reject: rejectAction,
  bulkReject: bulkRejectAction,
  freeze: freezePatternAction,
  lift: liftFreezeAction,
  disableIdentity: disableIdentityAction,
};
const DECIDED_STATUSES = ["allowed", "succeeded", "failed", "timed_out", "cancelled", "rejected", "expired"] as const;

export default async function ApprovalsPage({
  params,
  searchParams,
}: {
  params: Promise<{ workspace: string }>;
  searchParams: Promise<{ tab?: string; action?: string; status?: string; cursor?: string }>;
}) {
  const { workspace: slug } = await params;
  const query = await searchParams;
  const { workspace, role } = await requireRole(slug);
  const tab = query.tab === "decided" ? "decided" : "pending";
  const base = `/w/${workspace.slug}/approvals`;
  const [pendingCount, killSwitch] = await Promise.all([
    countPending(workspace.id),
    getDb()
      .workspace.findUniqueOrThrow({ where: { id: workspace.id }, select: { killSwitch: true } })
      .then((w) => w.killSwitch),
  ]);
  return (
    <div className="space-y-6">
      <PageHeader
        title="Approvals"
        description="Actions agents asked to take that a rule sends to a person. Oldest first: work from the top. Every decision needs a reason."
      />
      {killSwitch ? (
        <Alert tone="error">
          The kill switch is on: nothing can be approved until it is off. You can still reject.
        </Alert>
      ) : null}
      <nav aria-label="Approval tabs" className="flex gap-2 border-b border-zinc-200 dark:border-zinc-800">
        {(
          [
            ["pending", `Pending (${pendingCount})`],
            ["decided", "Decided"],
          ] as const
        ).map(([key, label]) => (
          <Link
            key={key}
            href={key === "pending" ? base : `${base}?tab=decided`}
            aria-current={key === tab ? "page" : undefined}
            className={cn(
              "-mb-px border-b-2 px-3 py-2 text-sm font-medium",
              key === tab
                ? "border-indigo-600 text-indigo-700 dark:text-indigo-300"
                : "border-transparent text-zinc-600 hover:text-zinc-900 dark:text-zinc-400",
            )}
          >
            {label}
          </Link>
        ))}
      </nav>
      {tab === "pending" ? (
        <PendingTab workspace={workspace} canApprove={can(role, "actions.approve")} />
      ) : (
        <DecidedTab workspace={workspace} query={query} />
      )}
    </div>
  );
}

async function PendingTab({ workspace, canApprove }: { workspace: { id: string; slug: string }; canApprove: boolean }) {
  const now = new Date();
  const pending = await listPendingApprovals(workspace.id, now);
  if (pending.length === 0)
    return (
      <EmptyState title="Nothing waits for approval">
        When a rule with the effect “require approval” matches an agent’s request, it shows up here.
      </EmptyState>
    );
  const levers = await leverStates(workspace.id, pending);
  const rows: PendingRow[] = pending.map((a) => ({
    id: a.id,
    action: a.action,
    summary: a.summary,
    resource: a.resource,
    identity: a.identity.status === "disabled" ? `${a.identity.name} (disabled)` : a.identity.name,
    workflowClass: a.workflowClass.name,
    taskId: a.taskId,
    estimate: costText(a.estimateMicros, a.estimateTokens),
    argumentsText: prettyJson(a.approvedArgumentsSha256 ? a.approvedArguments : a.arguments),
    argumentsEdited: a.approvedArgumentsSha256 !== null,
    rule: a.ruleCopy?.name ?? a.ruleName,
    approvals: { counted: a.approvalsCounted, required: a.requiredApprovals },
    decisions: a.approvals.map((d) => ({
      by: d.byName ?? d.byId,
      decision: d.decision,
      reason: d.reason,
      at: timeText(d.createdAt),
    })),
    timeLeft: timeLeftText(a.timeLeftMs),
    urgent: a.timeLeftMs !== null && a.timeLeftMs < 10 * 60_000,
    requestedAt: timeText(a.createdAt),
    levers: levers.get(a.id)!,
  }));
  return <ApprovalQueue workspace={workspace.slug} rows={rows} canApprove={canApprove} actions={QUEUE_ACTIONS} />;
}

async function DecidedTab({
  workspace,
  query,
}: {
  workspace: { id: string; slug: string };
  query: { action?: string; status?: string; cursor?: string };
}) {
  const actionName = query.action?.trim().slice(0, 128) || undefined;
  const status = (DECIDED_STATUSES as readonly string[]).includes(query.status ?? "")
    ? (query.status as (typeof DECIDED_STATUSES)[number])
    : undefined;
  const page = await listActions(
    workspace.id,
    { decidedApprovals: true, action: actionName, status },
    { cursor: decodeActionCursor(query.cursor), limit: 50 },
  );
  const base = `/w/${workspace.slug}`;
  const filters = new URLSearchParams(
    Object.entries({ tab: "decided", action: actionName, status }).filter((e): e is [string, string] => Boolean(e[1])),
  );
  return (
    <div className="space-y-4">
      <form className="flex flex-wrap items-end gap-3" role="search" aria-label="Search decided approvals">
        <input type="hidden" name="tab" value="decided" />
        <div>
          <label htmlFor="d-action" className="mb-1 block text-xs font-medium text-zinc-500">
            Action
          </label>
          <Input
            id="d-action"
            name="action"
            defaultValue={actionName ?? ""}
            placeholder="payments.refund or payments.*"
            className="w-56"
          />
        </div>
        <div>
          <label htmlFor="d-status" className="mb-1 block text-xs font-medium text-zinc-500">
            Status now
          </label>
          <Select id="d-status" name="status" defaultValue={status ?? ""} className="w-40">
            <option value="">any</option>
            {DECIDED_STATUSES.map((s) => (
              <option key={s} value={s}>
                {s.replace("_", " ")}
              </option>
            ))}
          </Select>
        </div>
        <Button type="submit" variant="secondary">
          Search
        </Button>
      </form>
      {page.items.length === 0 ? (
        <EmptyState title="No decided approvals match">
          Decisions appear here once someone approves or rejects.
        </EmptyState>
      ) : (
        <Table aria-label="Decided approvals">
          <thead>
            <tr>
              <Th>Action</Th>
              <Th>Status</Th>
              <Th>Decisions</Th>
              <Th>Decided (UTC)</Th>
            </tr>
          </thead>
          <tbody className="divide-y divide-zinc-100 bg-white dark:divide-zinc-800 dark:bg-zinc-900">
            {page.items.map((a) => (
              <tr key={a.id}>
                <Td>
                  <Link href={`${base}/actions/${a.id}`} className="font-mono text-xs text-indigo-600 hover:underline">
                    {a.action}
                  </Link>
                  <div className="font-mono text-xs text-zinc-500">{a.id}</div>
                  {a.summary ? (
                    <div className="max-w-sm truncate text-xs text-zinc-600 dark:text-zinc-400">{a.summary}</div>
                  ) : null}
                </Td>
                <Td>
                  <ActionStatusBadge status={a.status} />
                </Td>
                <Td className="text-xs">
                  {a.approvals.length === 0 ? (
                    <span className="text-zinc-500">nobody decided in time</span>
                  ) : (
                    <ul className="space-y-0.5">
                      {a.approvals.map((d, i) => (
                        <li key={i}>
                          {d.byName ?? "cli"} {d.decision === "approve" ? "approved" : "rejected"}: “{d.reason}”
                        </li>
                      ))}
                    </ul>
                  )}
                </Td>
                <Td className="whitespace-nowrap text-xs">{timeText(a.decidedAt)}</Td>
              </tr>
            ))}
          </tbody>
        </Table>
      )}
      {page.nextCursor ? (
        <Link
          className="text-sm text-indigo-600 hover:underline"
          href={`${base}/approvals?${filters}&cursor=${page.nextCursor}`}
        >
          Next page →
        </Link>
      ) : null}
    </div>
  );
}
