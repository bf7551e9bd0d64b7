import type { Metadata } from "next";
import Link from "next/link";
import { notFound } from "next/navigation";
import type { ReactNode } from "react";
import { can } from "@/lib/core/roles";
import { leverStates } from "@/lib/server/actions/freeze-levers";
import { getActionDetail } from "@/lib/server/actions/list-actions";
import { resolveEventLinks } from "@/lib/server/audit-trail/event-links";
import { searchAudit } from "@/lib/server/audit-trail/search-audit";
import { requireRole } from "@/lib/server/auth/session";
import { getDb } from "@/lib/server/db";
import { ActionDecisionPanel } from "@/components/actions/action-decision-panel";
import { costText, prettyJson, timeLeftText, timeText } from "@/components/actions/action-format";
import { ActionStatusBadge } from "@/components/actions/action-status-badge";
import { JsonDiff } from "@/components/actions/json-diff";
import { OnCallLevers } from "@/components/actions/on-call-levers";
import { EventDrawer } from "@/components/audit/event-drawer";
import { Json } from "@/components/tasks/task-timeline";
import { Alert } from "@/components/ui/alert";
import { Badge } from "@/components/ui/badge";
import { Card } from "@/components/ui/card";
import { PageHeader } from "@/components/ui/page-header";
import { Table, Td, Th } from "@/components/ui/table";
import {
  approveAction,
  disableIdentityAction,
  freezePatternAction,
  liftFreezeAction,
  rejectAction,
} from "../../approvals/actions";

export const metadata: Metadata = { title: "Action" };

function Fact({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div className="min-w-0">
      <dt className="text-xs text-zinc-500">{label}</dt>
      <dd className="break-words text-sm">{children}</dd>
    </div>
  );
}

export default async function ActionPage({ params }: { params: Promise<{ workspace: string; actionId: string }> }) {
  const { workspace: slug, actionId } = await params;
  const { workspace, role } = await requireRole(slug);
  const now = new Date();
  const action = await getActionDetail(workspace.id, actionId, now);
  if (!action) notFound();
  const canApprove = can(role, "actions.approve");
  const pending = action.status === "pending_approval";
  const db = getDb();
  const [audit, escalations, { killSwitch }, levers] = await Promise.all([
    searchAudit(workspace.id, { target: action.id }, { limit: 100 }),
    db.escalation.findMany({
      where: { actionId: action.id, workspaceId: workspace.id },
      orderBy: { createdAt: "desc" },
      select: { id: true, cause: true, status: true, reason: true, createdAt: true },
    }),
    db.workspace.findUniqueOrThrow({ where: { id: workspace.id }, select: { killSwitch: true } }),
    canApprove ? leverStates(workspace.id, [action]) : Promise.resolve(null),
  ]);
  const links = await resolveEventLinks(workspace, audit.items);
  const base = `/w/${workspace.slug}`;
  const rule = action.ruleCopy;
  const shadow = action.shadow as { rule: { id: string; name: string }; wouldBe: string }[];
  const edited = action.approvedArgumentsSha256 !== null;
  const inForce = edited ? action.approvedArguments : action.arguments;
  return (
    <div className="space-y-6">
      <p className="text-sm">
        <Link href={pending ? `${base}/approvals` : `${base}/actions`} className="text-indigo-600 hover:underline">
          ← {pending ? "Approvals" : "Actions"}
        </Link>
      </p>
      <PageHeader
        title={action.action}
        description={
          <>
            <code className="font-mono">{action.id}</code> · requested by {action.identity.name} (
            {action.workflowClass.name}) {timeText(action.createdAt)} UTC
          </>
        }
        actions={
          <div className="flex flex-wrap items-center gap-2 text-sm">
            <ActionStatusBadge status={action.status} />
            {action.overrun ? <Badge tone="bad">overrun</Badge> : null}
            {pending ? <Badge tone="warn">{timeLeftText(action.timeLeftMs)}</Badge> : null}
          </div>
        }
      />
      {action.summary ? <p className="text-base">{action.summary}</p> : null}
      {pending && killSwitch ? (
        <Alert tone="error">
          The kill switch is on: this action cannot be approved until it is off. You can still reject.
        </Alert>
      ) : null}
      {action.message ? <Alert tone="warning">Told to the agent: {action.message}</Alert> : null}
      {escalations.map((e) => (
        <Alert key={e.id} tone={e.status === "resolved" ? "info" : "warning"}>
          Escalation{" "}
          <Link href={`${base}/escalations/${e.id}`} className="font-mono underline">
            {e.id}
          </Link>{" "}
          ({e.cause}, {e.status}){e.reason ? `: ${e.reason}` : ""}
        </Alert>
      ))}
      <Card>
        <h2 className="mb-3 text-base font-semibold">Facts</h2>
        <dl className="grid grid-cols-2 gap-4 sm:grid-cols-3 lg:grid-cols-4">
          <Fact label="Resource">{action.resource ?? "—"}</Fact>
          <Fact label="Identity">
            <Link href={`${base}/identities/${action.identity.id}`} className="text-indigo-600 hover:underline">
              {action.identity.name}
            </Link>
            {action.identity.status === "disabled" ? <span className="text-zinc-500"> (disabled)</span> : null}
          </Fact>
          <Fact label="Class">{action.workflowClass.name}</Fact>
          <Fact label="Task">
            {action.taskId ? (
              <Link
                href={`${base}/tasks/${action.taskId}`}
                className="font-mono text-xs text-indigo-600 hover:underline"
              >
                {action.taskId}
              </Link>
            ) : (
              "—"
            )}
          </Fact>
          <Fact label="Estimate">{costText(action.estimateMicros, action.estimateTokens)}</Fact>
          <Fact label="Actual">
            {action.actualMicros === null && action.actualTokens === null
              ? "—"
              : costText(action.actualMicros, action.actualTokens)}
            {action.overrun ? <span className="text-red-600 dark:text-red-400"> (above the estimate)</span> : null}
          </Fact>
          <Fact label="Decided by rule">{rule?.name ?? action.ruleName ?? "workspace default"}</Fact>
          <Fact label="Approvals">
            {action.approvalsCounted} of {action.requiredApprovals}
          </Fact>
          <Fact label={pending ? "Approval deadline" : action.status === "allowed" ? "Complete by" : "Deadline"}>
            {action.expiresAt ? `${timeText(action.expiresAt)} UTC` : "—"}
          </Fact>
          <Fact label="Decided">{action.decidedAt ? `${timeText(action.decidedAt)} UTC` : "—"}</Fact>
          <Fact label="Completed">{action.completedAt ? `${timeText(action.completedAt)} UTC` : "—"}</Fact>
          <Fact label="Correlation id">
            <code className="break-all font-mono text-xs">{action.correlationId}</code>
          </Fact>
        </dl>
      </Card>
      {canApprove ? (
        <ActionDecisionPanel
          workspace={workspace.slug}
          actionId={action.id}
          argumentsText={prettyJson(inForce)}
          pending={pending}
          approve={approveAction}
          reject={rejectAction}
        />
      ) : null}
      {canApprove && levers ? (
        <Card>
          <h2 className="mb-3 text-base font-semibold">On-call levers</h2>
          <OnCallLevers
            workspace={workspace.slug}
            state={levers.get(action.id)!}
            actions={{ freeze: freezePatternAction, lift: liftFreezeAction, disableIdentity: disableIdentityAction }}
          />
        </Card>
      ) : null}
      <div className="grid gap-6 lg:grid-cols-2">
        <Card className="min-w-0">
          <h2 className="mb-2 text-base font-semibold">Arguments{edited ? " (edited by an approver)" : ""}</h2>
          {edited ? (
            <>
              <p className="mb-2 text-xs text-zinc-500">
                The agent’s arguments (−) and the approved ones it must use (+).
              </p>
              <JsonDiff
                before={action.arguments}
                after={action.approvedArguments}
                label="Arguments: the agent's and the approved"
              />
            </>
          ) : (
            <Json value={action.arguments} testId="action-arguments" />
          )}
          <p className="mt-2 break-all font-mono text-xs text-zinc-500">
            SHA-256 {edited ? action.approvedArgumentsSha256 : action.argumentsSha256}
          </p>
        </Card>
        <Card className="min-w-0">
          <h2 className="mb-2 text-base font-semibold">{action.error ? "Error" : "Result"}</h2>
          <Json value={action.error ?? action.result} />
        </Card>
      </div>
      <Card>
        <h2 className="mb-3 text-base font-semibold">Approvals</h2>
        {action.approvals.length === 0 ? (
          <p className="text-sm text-zinc-500">
            {rule?.effect === "require_approval" || pending || action.status === "expired"
              ? "Nobody has decided yet."
              : "Decided by the rules: no approval was needed."}
          </p>
        ) : (
          <Table aria-label="Approvals">
            <thead>
              <tr>
                <Th>Who</Th>
                <Th>Decision</Th>
                <Th>Reason</Th>
                <Th>When (UTC)</Th>
              </tr>
            </thead>
            <tbody className="divide-y divide-zinc-100 dark:divide-zinc-800">
              {action.approvals.map((a, i) => (
                <tr key={i}>
                  <Td>
                    {a.byName ?? a.byId}
                    <div className="text-xs text-zinc-500">
                      {a.byType === "cli"
                        ? "the CLI"
                        : a.via === "cli"
                          ? "member, via the CLI"
                          : "member, in the dashboard"}
                    </div>
                  </Td>
                  <Td>
                    <Badge tone={a.decision === "approve" ? "good" : "bad"}>
                      {a.decision === "approve" ? "approved" : "rejected"}
                    </Badge>{" "}
                    {a.editedArguments !== null ? <Badge tone="warn">edited the arguments</Badge> : null}
                  </Td>
                  <Td className="max-w-md whitespace-pre-wrap">{a.reason}</Td>
                  <Td className="whitespace-nowrap text-xs">{timeText(a.createdAt)}</Td>
                </tr>
              ))}
            </tbody>
          </Table>
        )}
      </Card>
      <div className="grid gap-6 lg:grid-cols-2">
        <Card className="min-w-0">
          <h2 className="mb-2 text-base font-semibold">Shadow verdicts</h2>
          {shadow.length === 0 ? (
            <p className="text-sm text-zinc-500">No shadow rule matched.</p>
          ) : (
            <ul className="space-y-1 text-sm" aria-label="Shadow verdicts">
              {shadow.map((s) => (
                <li key={s.rule.id}>
                  {s.rule.name}: would be{" "}
                  <Badge tone={s.wouldBe === "denied" ? "bad" : s.wouldBe === "allowed" ? "good" : "warn"}>
                    {s.wouldBe.replace("_", " ")}
                  </Badge>
                </li>
              ))}
            </ul>
          )}
        </Card>
        <Card className="min-w-0">
          <h2 className="mb-2 text-base font-semibold">The rule as it was when it decided</h2>
          {rule ? (
            <Json value={action.rule} testId="action-rule" />
          ) : (
            <p className="text-sm text-zinc-500">No rule matched: the workspace’s default effect decided.</p>
          )}
        </Card>
      </div>
      <Card>
        <div className="mb-3 flex flex-wrap items-center justify-between gap-2">
          <h2 className="text-base font-semibold">Audit trail of this action</h2>
          <Link
            href={`${base}/audit?${new URLSearchParams({ target: action.id })}`}
            className="text-sm text-indigo-600 hover:underline"
          >
            Open in the audit trail →
          </Link>
        </div>
        {audit.items.length === 0 ? (
          <p className="text-sm text-zinc-500">No events yet.</p>
        ) : (
          <Table aria-label="Audit events of this action">
            <thead>
              <tr>
                <Th>When (UTC)</Th>
                <Th>Actor</Th>
                <Th>Event</Th>
                <Th>Reason</Th>
                <Th>
                  <span className="sr-only">Details</span>
                </Th>
              </tr>
            </thead>
            <tbody className="divide-y divide-zinc-100 dark:divide-zinc-800">
              {audit.items.map((e) => (
                <tr key={e.id}>
                  <Td className="whitespace-nowrap text-xs">{timeText(e.createdAt)}</Td>
                  <Td className="max-w-48 truncate">
                    {e.actorName ?? "—"}
                    <span className="block text-xs text-zinc-500">{e.actorType}</span>
                  </Td>
                  <Td>
                    <span className="font-mono text-xs">{e.action}</span>{" "}
                    {e.outcome !== "success" ? <Badge tone="bad">{e.outcome}</Badge> : null}
                  </Td>
                  <Td className="max-w-64 truncate" title={e.reason ?? undefined}>
                    {e.reason ?? "—"}
                  </Td>
                  <Td>
                    <EventDrawer event={e} links={links[e.id] ?? []} />
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
