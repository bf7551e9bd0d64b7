"use client";

import type { FormAction } from "@/lib/action-state";
import { ActionForm } from "@/components/ui/action-form";
import { Field, Input } from "@/components/ui/field";

/** The workspace's three spend limits (admins; a reason for the audit trail). Values are the exact decimal texts. */
export function WorkspaceSpendLimitsForm({
  workspace,
  values,
  action,
}: {
  workspace: string;
  values: { dailyUsd: string; monthlyUsd: string; dailyTokens: string };
  action: FormAction;
}) {
  return (
    <ActionForm action={action} hidden={{ workspace }} submitLabel="Save spend limits">
      {(errors) => (
        <>
          <div className="grid gap-4 sm:grid-cols-3">
            <Field label="Daily USD limit" htmlFor="spend-daily-usd" error={errors?.dailyUsd} hint="Empty: unlimited.">
              <Input
                id="spend-daily-usd"
                name="dailyUsd"
                inputMode="decimal"
                defaultValue={values.dailyUsd}
                placeholder="unlimited"
              />
            </Field>
            <Field
              label="Monthly USD limit"
              htmlFor="spend-monthly-usd"
              error={errors?.monthlyUsd}
              hint="The calendar month, in the workspace's time zone."
            >
              <Input
                id="spend-monthly-usd"
                name="monthlyUsd"
                inputMode="decimal"
                defaultValue={values.monthlyUsd}
                placeholder="unlimited"
              />
            </Field>
            <Field
              label="Daily token limit"
              htmlFor="spend-daily-tokens"
              error={errors?.dailyTokens}
              hint="A whole number of tokens."
            >
              <Input
                id="spend-daily-tokens"
                name="dailyTokens"
                inputMode="numeric"
                defaultValue={values.dailyTokens}
                placeholder="unlimited"
              />
            </Field>
          </div>
          <Field label="Reason" htmlFor="spend-reason" error={errors?.reason} hint="Recorded in the audit trail.">
            <Input id="spend-reason" name="reason" />
          </Field>
        </>
      )}
    </ActionForm>
  );
}

/** One class's or key's daily USD limit, inline in its table row. */
export function ScopedSpendLimitForm({
  workspace,
  id,
  label,
  value,
  action,
}: {
  workspace: string;
  id: string;
  /** What the limit is of, for the fields' labels: "invoices", "bkv_ab12…". */
  label: string;
  value: string;
  action: FormAction;
}) {
  return (
    <ActionForm
      action={action}
      hidden={{ workspace, id }}
      submitLabel="Save"
      className="flex flex-wrap items-end gap-2"
    >
      {(errors) => (
        <>
          <Field label="Limit (USD)" htmlFor={`spend-limit-${id}`} error={errors?.dailyUsd}>
            <Input
              id={`spend-limit-${id}`}
              aria-label={`Daily USD limit of ${label}`}
              name="dailyUsd"
              inputMode="decimal"
              defaultValue={value}
              placeholder="unlimited"
              className="w-24"
            />
          </Field>
          <Field label="Reason" htmlFor={`spend-limit-reason-${id}`} error={errors?.reason}>
            <Input
              id={`spend-limit-reason-${id}`}
              aria-label={`Reason for the limit of ${label}`}
              name="reason"
              className="w-40"
            />
          </Field>
        </>
      )}
    </ActionForm>
  );
}
