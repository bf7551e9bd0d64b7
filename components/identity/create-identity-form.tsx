"use client";

import Link from "next/link";
import type { FormAction } from "@/lib/action-state";
import { ActionForm } from "@/components/ui/action-form";
import { Field, Input, Select } from "@/components/ui/field";
import { GrantsField } from "./grants-field";

export function CreateIdentityForm({
  workspace,
  classes,
  action,
}: {
  workspace: string;
  classes: string[];
  action: FormAction<{ id: string }>;
}) {
  return (
    <ActionForm
      action={action}
      hidden={{ workspace }}
      submitLabel="Create identity"
      resetOnSuccess
      after={(state) =>
        state.ok && state.data ? (
          <Link
            className="text-sm font-medium text-indigo-600 hover:underline"
            href={`/w/${workspace}/identities/${state.data.id}`}
          >
            Open the identity to issue a key →
          </Link>
        ) : null
      }
    >
      {(errors) => (
        <>
          <div className="grid gap-4 sm:grid-cols-3">
            <Field label="Name" htmlFor="idn-name" error={errors?.name} hint="e.g. invoice-bot">
              <Input id="idn-name" name="name" placeholder="invoice-bot" />
            </Field>
            <Field label="Workflow class" htmlFor="idn-class" error={errors?.workflowClass}>
              <Select id="idn-class" name="workflowClass">
                {classes.map((c) => (
                  <option key={c} value={c}>
                    {c}
                  </option>
                ))}
              </Select>
            </Field>
            <Field label="Description" htmlFor="idn-description" error={errors?.description}>
              <Input id="idn-description" name="description" />
            </Field>
          </div>
          <GrantsField id="idn-grants" error={errors?.grants} />
        </>
      )}
    </ActionForm>
  );
}
