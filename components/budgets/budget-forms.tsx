"use client";

import type { FormAction } from "@/lib/action-state";
import { ActionForm } from "@/components/ui/action-form";
import { Field, Input, Textarea } from "@/components/ui/field";
import { ReasonDialog } from "@/components/ui/reason-dialog";

type Settings = {
  dailyRequestLimit: number | null;
  degradeAtPercent: number;
  stopMessage: string | null;
  timeZone: string;
};

export function BudgetSettingsForm({
  workspace,
  values,
  action,
}: {
  workspace: string;
  values: Settings;
  action: FormAction;
}) {
  return (
    <ActionForm action={action} hidden={{ workspace }} submitLabel="Save budget">
      {(errors) => (
        <>
          <div className="grid gap-4 sm:grid-cols-3">
            <Field
              label="Daily request limit"
              htmlFor="limit"
              error={errors?.dailyRequestLimit}
              hint="Empty: unlimited."
            >
              <Input
                id="limit"
                name="dailyRequestLimit"
                inputMode="numeric"
                defaultValue={values.dailyRequestLimit ?? ""}
              />
            </Field>
            <Field
              label="Degrade at (%)"
              htmlFor="degrade"
              error={errors?.degradeAtPercent}
              hint="Low-priority calls are shed from here."
            >
              <Input id="degrade" name="degradeAtPercent" inputMode="numeric" defaultValue={values.degradeAtPercent} />
            </Field>
            <Field label="Time zone" htmlFor="tz" error={errors?.timeZone} hint="The day resets at midnight here.">
              <Input id="tz" name="timeZone" defaultValue={values.timeZone} />
            </Field>
          </div>
          <Field
            label="Stop message"
            htmlFor="stop-message"
            error={errors?.stopMessage}
            hint="What agents are told when the workspace is stopped."
          >
            <Textarea id="stop-message" name="stopMessage" rows={2} defaultValue={values.stopMessage ?? ""} />
          </Field>
          <Field label="Reason" htmlFor="budget-reason" error={errors?.reason} hint="Recorded in the audit trail.">
            <Input id="budget-reason" name="reason" />
          </Field>
        </>
      )}
    </ActionForm>
  );
}

export function KillSwitchButton({ workspace, on, action }: { workspace: string; on: boolean; action: FormAction }) {
  return (
    <ReasonDialog
      action={action}
      fields={{ workspace, on: on ? "false" : "true" }}
      trigger={on ? "Turn kill switch off" : "Turn kill switch on"}
      triggerVariant={on ? "primary" : "danger"}
      title={on ? "Resume agent traffic?" : "Stop every agent of this workspace now?"}
      description={
        on
          ? "Calls are accepted again from the next one, within the daily budget."
          : "Every agent call gets 429 with the stop message until you turn it off. GET /policy still answers."
      }
      submitLabel={on ? "Turn off" : "Stop all agents"}
      submitVariant={on ? "primary" : "danger"}
    />
  );
}

export function WriteCeilingForm({
  workspace,
  credentialId,
  prefix,
  ceiling,
  action,
}: {
  workspace: string;
  credentialId: string;
  prefix: string;
  ceiling: number | null;
  action: FormAction;
}) {
  return (
    <ActionForm
      action={action}
      hidden={{ workspace, credentialId }}
      submitLabel="Save"
      className="flex flex-wrap items-end gap-2"
    >
      {(errors) => (
        <>
          <Field label={`Ceiling of ${prefix}…`} htmlFor={`ceiling-${credentialId}`} error={errors?.ceiling}>
            <Input
              id={`ceiling-${credentialId}`}
              name="ceiling"
              inputMode="numeric"
              defaultValue={ceiling ?? ""}
              placeholder="none"
              className="w-28"
            />
          </Field>
          <Field label="Reason" htmlFor={`ceiling-reason-${credentialId}`} error={errors?.reason}>
            <Input id={`ceiling-reason-${credentialId}`} name="reason" className="w-48" />
          </Field>
        </>
      )}
    </ActionForm>
  );
}
