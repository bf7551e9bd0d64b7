"use client";

import type { FormAction } from "@/lib/action-state";
import { ActionForm } from "@/components/ui/action-form";
import { Field, Input } from "@/components/ui/field";
import { ReasonDialog } from "@/components/ui/reason-dialog";
import { GrantsField } from "./grants-field";

export function EditGrantsForm({
  workspace,
  identityId,
  grantsText,
  action,
}: {
  workspace: string;
  identityId: string;
  grantsText: string;
  action: FormAction;
}) {
  return (
    <ActionForm action={action} hidden={{ workspace, identityId }} submitLabel="Save grants">
      {(errors) => (
        <>
          <GrantsField id="edit-grants" defaultValue={grantsText} error={errors?.grants} />
          <Field label="Reason" htmlFor="grants-reason" error={errors?.reason} hint="Recorded in the audit trail.">
            <Input id="grants-reason" name="reason" />
          </Field>
        </>
      )}
    </ActionForm>
  );
}

export function IdentityStatusButton({
  workspace,
  identityId,
  name,
  status,
  action,
}: {
  workspace: string;
  identityId: string;
  name: string;
  status: "active" | "disabled";
  action: FormAction;
}) {
  const disabling = status === "active";
  return (
    <ReasonDialog
      action={action}
      fields={{ workspace, identityId, status: disabling ? "disabled" : "active" }}
      trigger={disabling ? "Disable identity" : "Enable identity"}
      triggerVariant={disabling ? "danger" : "primary"}
      title={disabling ? `Disable ${name}?` : `Enable ${name}?`}
      description={
        disabling
          ? "Every key of this identity gets 401 from its next call, until you enable it again."
          : "Its unexpired, unrevoked keys work again from the next call."
      }
      submitLabel={disabling ? "Disable" : "Enable"}
      submitVariant={disabling ? "danger" : "primary"}
    />
  );
}
