"use client";

import type { FormAction } from "@/lib/action-state";
import { ActionForm } from "@/components/ui/action-form";
import { Button } from "@/components/ui/button";
import { Dialog, DialogContent, DialogTrigger } from "@/components/ui/dialog";
import { Field, Input } from "@/components/ui/field";

type Policy = {
  maxAttempts: number;
  initialIntervalMs: number;
  backoffCoefficient: number;
  maxIntervalMs: number;
  nonRetryableErrors: string[];
  heartbeatTimeoutSeconds: number;
};
const DEFAULTS: Policy = {
  maxAttempts: 3,
  initialIntervalMs: 1000,
  backoffCoefficient: 2,
  maxIntervalMs: 60000,
  nonRetryableErrors: [],
  heartbeatTimeoutSeconds: 300,
};

function PolicyFields({
  errors,
  values = DEFAULTS,
  idPrefix,
}: {
  errors?: Record<string, string[] | undefined>;
  values?: Policy;
  idPrefix: string;
}) {
  const field = (name: keyof Policy, label: string, hint: string) => (
    <Field label={label} htmlFor={`${idPrefix}-${name}`} error={errors?.[name]} hint={hint}>
      <Input
        id={`${idPrefix}-${name}`}
        name={name}
        inputMode="decimal"
        defaultValue={Array.isArray(values[name]) ? (values[name] as string[]).join(", ") : String(values[name])}
      />
    </Field>
  );
  return (
    <div className="grid gap-4 sm:grid-cols-3">
      {field("maxAttempts", "Max attempts", "≥ 1, including the first")}
      {field("initialIntervalMs", "Initial interval (ms)", "Wait before the 2nd attempt")}
      {field("backoffCoefficient", "Backoff coefficient", "≥ 1; each wait is multiplied by it")}
      {field("maxIntervalMs", "Max interval (ms)", "Cap on any single wait")}
      {field("heartbeatTimeoutSeconds", "Heartbeat timeout (s)", "A silent running task fails after this")}
      {field("nonRetryableErrors", "Non-retryable errors", "Comma-separated error types")}
    </div>
  );
}

export function CreateWorkflowClassForm({ workspace, action }: { workspace: string; action: FormAction }) {
  return (
    <ActionForm action={action} hidden={{ workspace }} submitLabel="Create workflow class" resetOnSuccess>
      {(errors) => (
        <>
          <div className="grid gap-4 sm:grid-cols-2">
            <Field label="Name" htmlFor="wfc-name" error={errors?.name} hint="e.g. invoices">
              <Input id="wfc-name" name="name" placeholder="invoices" />
            </Field>
            <Field label="Description" htmlFor="wfc-description" error={errors?.description}>
              <Input id="wfc-description" name="description" />
            </Field>
          </div>
          <PolicyFields errors={errors} idPrefix="wfc-new" />
        </>
      )}
    </ActionForm>
  );
}

export function EditWorkflowClassDialog({
  workspace,
  workflowClass,
  action,
}: {
  workspace: string;
  workflowClass: Policy & { id: string; name: string };
  action: FormAction;
}) {
  return (
    <Dialog>
      <DialogTrigger asChild>
        <Button variant="ghost" size="sm" aria-label={`Edit ${workflowClass.name}`}>
          Edit
        </Button>
      </DialogTrigger>
      <DialogContent
        title={`Retry policy of ${workflowClass.name}`}
        description="Applies to failures reported from now on."
      >
        <ActionForm action={action} hidden={{ workspace, classId: workflowClass.id }} submitLabel="Save policy">
          {(errors) => (
            <>
              <PolicyFields errors={errors} values={workflowClass} idPrefix={`wfc-${workflowClass.id}`} />
              <Field label="Reason (optional)" htmlFor={`wfc-${workflowClass.id}-reason`}>
                <Input id={`wfc-${workflowClass.id}-reason`} name="reason" />
              </Field>
            </>
          )}
        </ActionForm>
      </DialogContent>
    </Dialog>
  );
}
