"use client";

import { setGrantsAction, setIdentityStatusAction } from "@/app/(dashboard)/w/[workspace]/identities/actions";
import { ActionForm } from "@/components/ui/action-form";
import { Field, Input } from "@/components/ui/field";
import { ReasonDialog } from "@/components/ui/reason-dialog";
import { GrantsField } from "./grants-field";

export function EditGrantsForm({
  workspace,
  identityId,
  grantsText,
}: {
  workspace: string;
  identityId: string;
  grantsText: string;
}) {
  return (
    <ActionForm action={setGrantsAction} hidden={{ workspace, identityId }} submitLabel="Save grants">
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
}: {
  workspace: string;
  identityId: string;
  name: string;
  status: "active" | "disabled";
}) {
  const disabling = status === "active";
  return (
    <ReasonDialog
      action={setIdentityStatusAction}
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
