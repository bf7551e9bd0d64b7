"use client";

import Link from "next/link";
import { useState } from "react";
import type { ActionState, FormAction } from "@/lib/action-state";
import { Alert } from "@/components/ui/alert";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Card } from "@/components/ui/card";
import { Dialog, DialogClose, DialogContent } from "@/components/ui/dialog";
import { Field, Textarea } from "@/components/ui/field";
import { useServerForm } from "@/components/ui/use-server-form";
import { DecisionForms } from "./decision-forms";
import { OnCallLevers, type LeverState } from "./on-call-levers";

export type PendingRow = {
  id: string;
  action: string;
  summary: string | null;
  resource: string | null;
  identity: string;
  workflowClass: string;
  taskId: string | null;
  estimate: string;
  argumentsText: string;
  argumentsEdited: boolean;
  rule: string | null;
  approvals: { counted: number; required: number };
  decisions: { by: string; decision: string; reason: string; at: string }[];
  timeLeft: string;
  urgent: boolean;
  requestedAt: string;
  levers: LeverState;
};

export type QueueActions = {
  approve: FormAction;
  reject: FormAction;
  bulkReject: FormAction;
  freeze: FormAction;
  lift: FormAction;
  disableIdentity: FormAction;
};

function Fact({ label, children }: { label: string; children: React.ReactNode }) {
  return (
    <div className="min-w-0">
      <dt className="text-xs text-zinc-500">{label}</dt>
      <dd className="break-words text-sm">{children}</dd>
    </div>
  );
}

/**
 * The pending approvals, oldest first. Approvers (operators, admins) decide each one, select some
 * to reject together (confirmed with the list and one reason), and pull the on-call levers;
 * everyone else reads the same cards without a form or a button.
 */
export function ApprovalQueue({
  workspace,
  rows,
  canApprove,
  actions,
}: {
  workspace: string;
  rows: PendingRow[];
  canApprove: boolean;
  actions: QueueActions;
}) {
  const [selected, setSelected] = useState<string[]>([]);
  const [confirming, setConfirming] = useState(false);
  const { state, pending, onSubmit } = useServerForm(async (previous: ActionState | undefined, formData: FormData) => {
    const result = await actions.bulkReject(previous, formData);
    if (result.ok) {
      setConfirming(false);
      setSelected([]);
    }
    return result;
  });
  // A decided card leaves the queue on the refresh that follows: its message is kept up here.
  const [notices, setNotices] = useState<string[]>([]);
  const noting =
    (action: FormAction): FormAction =>
    async (previous, formData) => {
      const result = await action(previous, formData);
      if (result.ok && result.message)
        setNotices((n) => [`${String(formData.get("actionId"))}: ${result.message}`, ...n].slice(0, 5));
      return result;
    };
  const [approve] = useState(() => noting(actions.approve));
  const [reject] = useState(() => noting(actions.reject));
  const toggle = (id: string) => setSelected((s) => (s.includes(id) ? s.filter((x) => x !== id) : [...s, id]));
  const chosen = rows.filter((r) => selected.includes(r.id));
  const base = `/w/${workspace}`;
  return (
    <div className="space-y-4">
      {state?.message && state.ok ? <Alert tone="success">{state.message}</Alert> : null}
      {notices.map((n, i) => (
        <Alert key={`${i}-${n}`} tone="success">
          {n}
        </Alert>
      ))}
      {canApprove ? (
        <div className="flex flex-wrap items-center gap-2">
          <span className="text-sm text-zinc-600 dark:text-zinc-400">{selected.length} selected</span>
          <Button size="sm" variant="secondary" disabled={!selected.length} onClick={() => setConfirming(true)}>
            Reject selected
          </Button>
        </div>
      ) : (
        <Alert tone="info">Read-only: operators and admins approve or reject actions.</Alert>
      )}
      <ol className="space-y-4" aria-label="Pending approvals">
        {rows.map((r) => (
          <li key={r.id}>
            <Card className="space-y-4" data-testid="pending-approval" aria-label={`${r.action} ${r.id}`}>
              <div className="flex flex-wrap items-start gap-3">
                {canApprove ? (
                  <input
                    type="checkbox"
                    className="mt-1.5 size-4"
                    aria-label={`Select ${r.id}`}
                    checked={selected.includes(r.id)}
                    onChange={() => toggle(r.id)}
                  />
                ) : null}
                <div className="min-w-0 flex-1">
                  <div className="flex flex-wrap items-center gap-2">
                    <Link
                      href={`${base}/actions/${r.id}`}
                      className="break-all font-mono text-sm font-semibold text-indigo-700 hover:underline dark:text-indigo-300"
                    >
                      {r.action}
                    </Link>
                    <Badge tone={r.urgent ? "bad" : "warn"}>{r.timeLeft}</Badge>
                    <Badge tone="info">
                      {r.approvals.counted} of {r.approvals.required} approval{r.approvals.required > 1 ? "s" : ""}
                    </Badge>
                    {r.argumentsEdited ? <Badge tone="warn">arguments edited</Badge> : null}
                  </div>
                  {r.summary ? <p className="mt-1 text-sm">{r.summary}</p> : null}
                  <p className="mt-1 font-mono text-xs text-zinc-500">
                    {r.id} · requested {r.requestedAt} UTC
                  </p>
                </div>
              </div>
              <dl className="grid grid-cols-2 gap-3 sm:grid-cols-3 lg:grid-cols-6">
                <Fact label="Resource">{r.resource ?? "—"}</Fact>
                <Fact label="Identity">{r.identity}</Fact>
                <Fact label="Class">{r.workflowClass}</Fact>
                <Fact label="Task">
                  {r.taskId ? (
                    <Link
                      href={`${base}/tasks/${r.taskId}`}
                      className="font-mono text-xs text-indigo-600 hover:underline"
                    >
                      {r.taskId}
                    </Link>
                  ) : (
                    "—"
                  )}
                </Fact>
                <Fact label="Estimate">{r.estimate}</Fact>
                <Fact label="Asked by rule">{r.rule ?? "workspace default"}</Fact>
              </dl>
              <div>
                <h3 className="mb-1 text-xs font-medium text-zinc-500">
                  Arguments{r.argumentsEdited ? " (as edited by an approver)" : ""}
                </h3>
                {r.argumentsText ? (
                  <pre className="max-h-64 overflow-auto rounded bg-zinc-50 p-3 font-mono text-xs dark:bg-zinc-950">
                    {r.argumentsText}
                  </pre>
                ) : (
                  <p className="text-sm text-zinc-500">none</p>
                )}
              </div>
              {r.decisions.length ? (
                <ul className="space-y-1 text-xs text-zinc-600 dark:text-zinc-400" aria-label="Decisions so far">
                  {r.decisions.map((d, i) => (
                    <li key={i}>
                      {d.by} {d.decision === "approve" ? "approved" : "rejected"} at {d.at} UTC: “{d.reason}”
                    </li>
                  ))}
                </ul>
              ) : null}
              {canApprove ? (
                <>
                  <DecisionForms
                    workspace={workspace}
                    actionId={r.id}
                    argumentsText={r.argumentsText}
                    approve={approve}
                    reject={reject}
                  />
                  <OnCallLevers
                    workspace={workspace}
                    state={r.levers}
                    actions={{ freeze: actions.freeze, lift: actions.lift, disableIdentity: actions.disableIdentity }}
                  />
                </>
              ) : null}
            </Card>
          </li>
        ))}
      </ol>
      <Dialog open={confirming} onOpenChange={(open) => !open && setConfirming(false)}>
        {confirming ? (
          <DialogContent
            title={`Reject ${chosen.length} pending approval(s)?`}
            description="Each agent is told not to go ahead; one reason is recorded on each."
          >
            <form onSubmit={onSubmit} className="space-y-4">
              <input type="hidden" name="workspace" value={workspace} />
              <input type="hidden" name="ids" value={chosen.map((r) => r.id).join(",")} />
              <ul className="max-h-48 space-y-1 overflow-auto text-xs" aria-label="Will be rejected">
                {chosen.map((r) => (
                  <li key={r.id}>
                    <span className="font-mono">{r.action}</span> <span className="text-zinc-500">{r.id}</span>
                    {r.summary ? <span className="block text-zinc-600 dark:text-zinc-400">{r.summary}</span> : null}
                  </li>
                ))}
              </ul>
              {state?.message && !state.ok ? <Alert tone="error">{state.message}</Alert> : null}
              <Field
                label="Reason"
                htmlFor="bulk-reason"
                error={state?.fieldErrors?.reason}
                hint="Recorded on each action and in the audit trail."
              >
                <Textarea id="bulk-reason" name="reason" rows={2} />
              </Field>
              <div className="flex justify-end gap-2">
                <DialogClose asChild>
                  <Button variant="secondary">Back</Button>
                </DialogClose>
                <Button type="submit" variant="danger" disabled={pending}>
                  {pending ? "Rejecting…" : `Reject ${chosen.length}`}
                </Button>
              </div>
            </form>
          </DialogContent>
        ) : null}
      </Dialog>
    </div>
  );
}
