"use client";

import Link from "next/link";
import { useState } from "react";
import type { ActionState, FormAction } from "@/lib/action-state";
import { Alert } from "@/components/ui/alert";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Dialog, DialogClose, DialogContent } from "@/components/ui/dialog";
import { Field, Textarea } from "@/components/ui/field";
import { Table, Td, Th } from "@/components/ui/table";
import { useServerForm } from "@/components/ui/use-server-form";

export type QueueRow = {
  id: string;
  cause: string;
  reason: string | null;
  age: string;
  /** What it is about: a task, or (an overrun) an action. */
  subject: { kind: "task" | "action"; id: string; status: string; workflowClass: string };
  assignee: string | null;
  resolution: string | null;
  overdue: boolean;
};

/** The queue with selection for bulk redrive / cancel, confirmed with the list of what will change. */
export function EscalationQueue({
  workspace,
  rows,
  selectable,
  bulkAction,
}: {
  workspace: string;
  rows: QueueRow[];
  selectable: boolean;
  /** Redrive or cancel the selected escalations (the page passes the server action). */
  bulkAction: FormAction;
}) {
  const [selected, setSelected] = useState<string[]>([]);
  const [bulk, setBulk] = useState<"redrive" | "cancel" | null>(null);
  const { state, pending, onSubmit } = useServerForm(async (previous: ActionState | undefined, formData: FormData) => {
    const result = await bulkAction(previous, formData);
    if (result.ok) {
      setBulk(null);
      setSelected([]);
    }
    return result;
  });
  const toggle = (id: string) => setSelected((s) => (s.includes(id) ? s.filter((x) => x !== id) : [...s, id]));
  return (
    <div className="space-y-3">
      {state?.message && state.ok ? <Alert tone="success">{state.message}</Alert> : null}
      {selectable ? (
        <div className="flex items-center gap-2">
          <span className="text-sm text-zinc-600 dark:text-zinc-400">{selected.length} selected</span>
          <Button size="sm" variant="secondary" disabled={!selected.length} onClick={() => setBulk("redrive")}>
            Redrive selected
          </Button>
          <Button size="sm" variant="secondary" disabled={!selected.length} onClick={() => setBulk("cancel")}>
            Cancel selected
          </Button>
        </div>
      ) : null}
      <Table aria-label="Escalations">
        <thead>
          <tr>
            {selectable ? (
              <Th className="w-8">
                <span className="sr-only">Select</span>
              </Th>
            ) : null}
            <Th>Escalation</Th>
            <Th>Cause</Th>
            <Th>Class</Th>
            <Th>Task</Th>
            <Th>Age</Th>
            <Th>Assignee</Th>
          </tr>
        </thead>
        <tbody className="divide-y divide-zinc-100 bg-white dark:divide-zinc-800 dark:bg-zinc-900">
          {rows.map((r) => (
            <tr key={r.id}>
              {selectable ? (
                <Td>
                  <input
                    type="checkbox"
                    aria-label={`Select ${r.id}`}
                    checked={selected.includes(r.id)}
                    onChange={() => toggle(r.id)}
                  />
                </Td>
              ) : null}
              <Td>
                <Link
                  href={`/w/${workspace}/escalations/${r.id}`}
                  className="font-mono text-xs text-indigo-600 hover:underline"
                >
                  {r.id}
                </Link>
                {r.reason ? <div className="mt-1 max-w-md truncate text-xs text-zinc-500">{r.reason}</div> : null}
                {r.resolution ? <div className="mt-1 text-xs text-emerald-700">{r.resolution}</div> : null}
              </Td>
              <Td>
                <Badge tone={r.cause === "agent_request" ? "warn" : "bad"}>{r.cause.replace("_", " ")}</Badge>{" "}
                {r.overdue ? <Badge tone="bad">overdue</Badge> : null}
              </Td>
              <Td>{r.subject.workflowClass}</Td>
              <Td className="font-mono text-xs">
                <Link
                  href={`/w/${workspace}/${r.subject.kind === "task" ? "tasks" : "actions"}/${r.subject.id}`}
                  className="hover:underline"
                >
                  {r.subject.id}
                </Link>
                <div className="text-zinc-500">{r.subject.status}</div>
              </Td>
              <Td className="whitespace-nowrap">{r.age}</Td>
              <Td>{r.assignee ?? <span className="text-zinc-500">unassigned</span>}</Td>
            </tr>
          ))}
        </tbody>
      </Table>
      <Dialog open={bulk !== null} onOpenChange={(open) => !open && setBulk(null)}>
        {bulk ? (
          <DialogContent
            title={`${bulk === "redrive" ? "Redrive" : "Cancel"} ${selected.length} escalation(s)?`}
            description={
              bulk === "redrive"
                ? "Each task becomes due now with a fresh allowance of attempts."
                : "Each task is cancelled for good."
            }
          >
            <form onSubmit={onSubmit} className="space-y-4">
              <input type="hidden" name="workspace" value={workspace} />
              <input type="hidden" name="action" value={bulk} />
              <input type="hidden" name="ids" value={selected.join(",")} />
              <ul
                className="max-h-40 list-inside list-disc overflow-auto font-mono text-xs"
                aria-label="Selected escalations"
              >
                {selected.map((id) => (
                  <li key={id}>{id}</li>
                ))}
              </ul>
              {state?.message && !state.ok ? <Alert tone="error">{state.message}</Alert> : null}
              <Field
                label="Note"
                htmlFor="bulk-note"
                error={state?.fieldErrors?.note}
                hint="Recorded on each escalation and in the audit trail."
              >
                <Textarea id="bulk-note" name="note" rows={2} />
              </Field>
              <div className="flex justify-end gap-2">
                <DialogClose asChild>
                  <Button variant="secondary">Back</Button>
                </DialogClose>
                <Button type="submit" variant={bulk === "cancel" ? "danger" : "primary"} disabled={pending}>
                  {pending
                    ? "Working…"
                    : bulk === "redrive"
                      ? `Redrive ${selected.length}`
                      : `Cancel ${selected.length}`}
                </Button>
              </div>
            </form>
          </DialogContent>
        ) : null}
      </Dialog>
    </div>
  );
}
