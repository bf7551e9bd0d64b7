"use client";

import type { FormAction } from "@/lib/action-state";
import { ActionForm } from "@/components/ui/action-form";
import { Button } from "@/components/ui/button";
import { Dialog, DialogContent, DialogTrigger } from "@/components/ui/dialog";
import { Field, Input } from "@/components/ui/field";

type Ttl = { description: string | null; defaultTtlSeconds: number | null; maxTtlSeconds: number | null };

function TtlFields({
  errors,
  values,
  idPrefix,
}: {
  errors?: Record<string, string[] | undefined>;
  values?: Ttl;
  idPrefix: string;
}) {
  return (
    <>
      <Field label="Description" htmlFor={`${idPrefix}-description`} error={errors?.description}>
        <Input id={`${idPrefix}-description`} name="description" defaultValue={values?.description ?? ""} />
      </Field>
      <div className="grid gap-4 sm:grid-cols-2">
        <Field
          label="Default TTL (seconds)"
          htmlFor={`${idPrefix}-default-ttl`}
          error={errors?.defaultTtlSeconds}
          hint="Applied when a write gives none. Empty: entries do not expire."
        >
          <Input
            id={`${idPrefix}-default-ttl`}
            name="defaultTtlSeconds"
            inputMode="numeric"
            defaultValue={values?.defaultTtlSeconds ?? ""}
          />
        </Field>
        <Field
          label="Maximum TTL (seconds)"
          htmlFor={`${idPrefix}-max-ttl`}
          error={errors?.maxTtlSeconds}
          hint="Longest TTL a write may ask for. Empty: no maximum."
        >
          <Input
            id={`${idPrefix}-max-ttl`}
            name="maxTtlSeconds"
            inputMode="numeric"
            defaultValue={values?.maxTtlSeconds ?? ""}
          />
        </Field>
      </div>
    </>
  );
}

export function CreateNamespaceForm({ workspace, action }: { workspace: string; action: FormAction }) {
  return (
    <ActionForm action={action} hidden={{ workspace }} submitLabel="Create namespace" resetOnSuccess>
      {(errors) => (
        <>
          <Field
            label="Name"
            htmlFor="ns-name"
            error={errors?.name}
            hint="Lowercase segments joined by dots, e.g. billing.runs"
          >
            <Input id="ns-name" name="name" placeholder="billing.runs" />
          </Field>
          <TtlFields errors={errors} idPrefix="ns-new" />
        </>
      )}
    </ActionForm>
  );
}

export function EditNamespaceDialog({
  workspace,
  namespace,
  action,
}: {
  workspace: string;
  namespace: Ttl & { id: string; name: string };
  action: FormAction;
}) {
  return (
    <Dialog>
      <DialogTrigger asChild>
        <Button variant="ghost" size="sm" aria-label={`Edit ${namespace.name}`}>
          Edit
        </Button>
      </DialogTrigger>
      <DialogContent
        title={`TTL policy of ${namespace.name}`}
        description="Applies to writes from now on; existing entries keep their expiry."
      >
        <ActionForm action={action} hidden={{ workspace, namespaceId: namespace.id }} submitLabel="Save policy">
          {(errors) => (
            <>
              <TtlFields errors={errors} values={namespace} idPrefix={`ns-${namespace.id}`} />
              <Field label="Reason (optional)" htmlFor={`ns-${namespace.id}-reason`}>
                <Input id={`ns-${namespace.id}-reason`} name="reason" />
              </Field>
            </>
          )}
        </ActionForm>
      </DialogContent>
    </Dialog>
  );
}
