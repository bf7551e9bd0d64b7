"use client";

import type { FormAction } from "@/lib/action-state";
import { ActionForm } from "@/components/ui/action-form";
import { Field, Textarea } from "@/components/ui/field";

/**
 * Approve (optionally with edited arguments) or reject one pending action, always with a reason.
 * The server checks the role, the status, the deadline and the kill switch again; its refusals
 * come back as the form's message.
 */
export function DecisionForms({
  workspace,
  actionId,
  argumentsText,
  approve,
  reject,
}: {
  workspace: string;
  actionId: string;
  /** The arguments in force, pretty-printed: the starting point of an edit. */
  argumentsText: string;
  approve: FormAction;
  reject: FormAction;
}) {
  const hidden = { workspace, actionId };
  return (
    <div className="grid gap-4 lg:grid-cols-2">
      <section aria-label={`Approve ${actionId}`} className="min-w-0 space-y-2">
        <h3 className="text-sm font-medium">Approve</h3>
        <ActionForm action={approve} hidden={hidden} submitLabel="Approve" pendingLabel="Approving…">
          {(errors) => (
            <>
              <details className="group rounded-md border border-zinc-200 p-3 dark:border-zinc-800">
                <summary className="cursor-pointer text-sm text-indigo-700 dark:text-indigo-300">
                  Edit the arguments (optional)
                </summary>
                <div className="mt-2">
                  <Field
                    label="Arguments (JSON)"
                    htmlFor={`args-${actionId}`}
                    error={errors?.arguments}
                    hint="The agent receives these as approvedArguments. Unchanged or empty: approved as they are. An edit restarts the approval count."
                  >
                    <Textarea
                      id={`args-${actionId}`}
                      name="arguments"
                      rows={Math.min(16, Math.max(4, argumentsText.split("\n").length + 1))}
                      defaultValue={argumentsText}
                      spellCheck={false}
                      className="font-mono text-xs"
                      aria-invalid={errors?.arguments ? true : undefined}
                    />
                  </Field>
                </div>
              </details>
              <Field
                label="Reason"
                htmlFor={`approve-reason-${actionId}`}
                error={errors?.reason}
                hint="Recorded in the audit trail."
              >
                <Textarea id={`approve-reason-${actionId}`} name="reason" rows={2} />
              </Field>
            </>
          )}
        </ActionForm>
      </section>
      <section aria-label={`Reject ${actionId}`} className="min-w-0 space-y-2">
        <h3 className="text-sm font-medium">Reject</h3>
        <ActionForm action={reject} hidden={hidden} submitLabel="Reject" pendingLabel="Rejecting…">
          {(errors) => (
            <Field
              label="Reason"
              htmlFor={`reject-reason-${actionId}`}
              error={errors?.reason}
              hint="Recorded in the audit trail; the agent sees it with the rejection."
            >
              <Textarea id={`reject-reason-${actionId}`} name="reason" rows={2} />
            </Field>
          )}
        </ActionForm>
      </section>
    </div>
  );
}
