"use client";

import type { FormAction } from "@/lib/action-state";
import { ActionForm } from "@/components/ui/action-form";
import { Field, Select, Textarea } from "@/components/ui/field";

type Props = {
  workspace: string;
  escalationId: string;
  status: string;
  operators: { id: string; email: string }[];
  /** What the escalation is about: a task (the default), or an action's overrun — money already spent, nothing to redrive. */
  subject?: "task" | "action";
  /** The on-call server actions, passed by the page. */
  actions: Record<"acknowledge" | "redrive" | "resolve" | "cancel" | "reassign" | "addNote", FormAction>;
};

function NoteField({ id, error }: { id: string; error?: string[] }) {
  return (
    <Field label="Note" htmlFor={id} error={error}>
      <Textarea id={id} name="note" rows={2} />
    </Field>
  );
}

/** Every action needs a note; the server checks the role and the escalation's status again. */
export function EscalationActions({ workspace, escalationId, status, operators, subject = "task", actions }: Props) {
  const hidden = { workspace, escalationId };
  const active = status !== "resolved";
  const task = subject === "task";
  return (
    <div className="grid gap-6 lg:grid-cols-2">
      {status === "open" ? (
        <section aria-label="Acknowledge" className="space-y-2">
          <h3 className="font-medium">Acknowledge (assign to me)</h3>
          <ActionForm action={actions.acknowledge} hidden={hidden} submitLabel="Acknowledge">
            {(errors) => <NoteField id="ack-note" error={errors?.note} />}
          </ActionForm>
        </section>
      ) : null}
      {active && task ? (
        <section aria-label="Redrive" className="space-y-2">
          <h3 className="font-medium">Redrive</h3>
          <p className="text-xs text-zinc-500">
            Due now, with a fresh allowance of attempts; the agent resumes from its checkpoint.
          </p>
          <ActionForm action={actions.redrive} hidden={hidden} submitLabel="Redrive task">
            {(errors) => <NoteField id="redrive-note" error={errors?.note} />}
          </ActionForm>
        </section>
      ) : null}
      {active && !task ? (
        <section aria-label="Resolve" className="space-y-2">
          <h3 className="font-medium">Resolve</h3>
          <p className="text-xs text-zinc-500">
            The money is spent: say what was done about it (e.g. the rule was tightened).
          </p>
          {/* resolveSchema takes an output; an action's escalation has no task to give it to. */}
          <ActionForm action={actions.resolve} hidden={{ ...hidden, output: "null" }} submitLabel="Resolve">
            {(errors) => <NoteField id="resolve-note" error={errors?.note} />}
          </ActionForm>
        </section>
      ) : null}
      {active && task ? (
        <section aria-label="Resolve with output" className="space-y-2">
          <h3 className="font-medium">Resolve with output</h3>
          <ActionForm action={actions.resolve} hidden={hidden} submitLabel="Commit task with this output">
            {(errors) => (
              <>
                <Field label="Output (JSON)" htmlFor="resolve-output" error={errors?.output}>
                  <Textarea
                    id="resolve-output"
                    name="output"
                    rows={3}
                    className="font-mono"
                    placeholder='{"approved": true}'
                  />
                </Field>
                <NoteField id="resolve-note" error={errors?.note} />
              </>
            )}
          </ActionForm>
        </section>
      ) : null}
      {active ? (
        <section aria-label="Cancel" className="space-y-2">
          <h3 className="font-medium">{task ? "Cancel the task" : "Close without action"}</h3>
          <ActionForm action={actions.cancel} hidden={hidden} submitLabel={task ? "Cancel task" : "Close escalation"}>
            {(errors) => <NoteField id="cancel-note" error={errors?.note} />}
          </ActionForm>
        </section>
      ) : null}
      {active ? (
        <section aria-label="Reassign" className="space-y-2">
          <h3 className="font-medium">Reassign</h3>
          <ActionForm action={actions.reassign} hidden={hidden} submitLabel="Reassign">
            {(errors) => (
              <>
                <Field label="Assignee" htmlFor="assignee" error={errors?.assigneeUserId}>
                  <Select id="assignee" name="assigneeUserId">
                    {operators.map((o) => (
                      <option key={o.id} value={o.id}>
                        {o.email}
                      </option>
                    ))}
                  </Select>
                </Field>
                <NoteField id="reassign-note" error={errors?.note} />
              </>
            )}
          </ActionForm>
        </section>
      ) : null}
      <section aria-label="Add a note" className="space-y-2">
        <h3 className="font-medium">Add a note</h3>
        <ActionForm action={actions.addNote} hidden={hidden} submitLabel="Add note" resetOnSuccess>
          {(errors) => <NoteField id="plain-note" error={errors?.note} />}
        </ActionForm>
      </section>
    </div>
  );
}
