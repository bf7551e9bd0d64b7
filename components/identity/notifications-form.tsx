"use client";

import { useState } from "react";
import type { ActionState, FormAction } from "@/lib/action-state";
import { ActionForm } from "@/components/ui/action-form";
import { Alert } from "@/components/ui/alert";
import { CopyButton } from "@/components/ui/copy-button";
import { Field, Input } from "@/components/ui/field";

export function NotificationsForm({
  workspace,
  classId,
  values,
  action,
}: {
  workspace: string;
  classId: string;
  action: FormAction<{ secret: string | null }>;
  values: {
    webhookUrl: string | null;
    webhookUrlTier2: string | null;
    ackDeadlineSeconds: number | null;
    hasSecret: boolean;
  };
}) {
  const [secret, setSecret] = useState<string | null>(null);
  return (
    <div className="space-y-4">
      {secret ? (
        <Alert tone="warning">
          <p className="font-medium">Signing secret — shown once. Receivers verify X-BaseKV-Signature with it.</p>
          <div className="mt-2 flex items-center gap-2">
            <code data-testid="webhook-secret" className="break-all font-mono text-xs">
              {secret}
            </code>
            <CopyButton value={secret} />
          </div>
        </Alert>
      ) : null}
      <ActionForm
        action={async (previous: ActionState<{ secret: string | null }> | undefined, formData: FormData) => {
          const result = await action(previous, formData);
          if (result.ok && result.data?.secret) setSecret(result.data.secret);
          return result;
        }}
        hidden={{ workspace, classId }}
        submitLabel="Save notifications"
      >
        {(errors) => (
          <>
            <Field
              label="Webhook URL"
              htmlFor="webhook-url"
              error={errors?.webhookUrl}
              hint="Slack incoming webhooks work as is. Public addresses only, unless the operator allows a private host. Empty: no notifications."
            >
              <Input
                id="webhook-url"
                name="webhookUrl"
                defaultValue={values.webhookUrl ?? ""}
                placeholder="https://hooks.slack.com/services/…"
              />
            </Field>
            <div className="grid gap-4 sm:grid-cols-2">
              <Field
                label="Acknowledgement deadline (seconds)"
                htmlFor="ack-deadline"
                error={errors?.ackDeadlineSeconds}
                hint="Still open after this: re-notified and marked overdue."
              >
                <Input
                  id="ack-deadline"
                  name="ackDeadlineSeconds"
                  inputMode="numeric"
                  defaultValue={values.ackDeadlineSeconds ?? ""}
                />
              </Field>
              <Field
                label="Second-tier URL (optional)"
                htmlFor="webhook-url-2"
                error={errors?.webhookUrlTier2}
                hint="Receives the overdue re-notification."
              >
                <Input id="webhook-url-2" name="webhookUrlTier2" defaultValue={values.webhookUrlTier2 ?? ""} />
              </Field>
            </div>
            <label className="flex items-center gap-2 text-sm">
              <input type="checkbox" name="newSecret" />{" "}
              {values.hasSecret ? "Rotate the signing secret" : "Generate a signing secret"}
            </label>
          </>
        )}
      </ActionForm>
    </div>
  );
}
