"use client";

import { useServerForm } from "@/components/ui/use-server-form";
import { changePasswordAction } from "@/app/auth-actions";
import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { Card } from "@/components/ui/card";
import { Field, Input } from "@/components/ui/field";

export function PasswordForm() {
  const { state, pending, onSubmit } = useServerForm(changePasswordAction);
  return (
    <Card>
      <form onSubmit={onSubmit} className="space-y-4" noValidate>
        {state?.message && !state.fieldErrors ? <Alert tone="error">{state.message}</Alert> : null}
        <Field label="Current password" htmlFor="currentPassword" error={state?.fieldErrors?.currentPassword}>
          <Input id="currentPassword" name="currentPassword" type="password" autoComplete="current-password" />
        </Field>
        <Field
          label="New password"
          htmlFor="newPassword"
          error={state?.fieldErrors?.newPassword}
          hint="At least 12 characters."
        >
          <Input id="newPassword" name="newPassword" type="password" autoComplete="new-password" />
        </Field>
        <Field label="Confirm new password" htmlFor="confirmPassword" error={state?.fieldErrors?.confirmPassword}>
          <Input id="confirmPassword" name="confirmPassword" type="password" autoComplete="new-password" />
        </Field>
        <Button type="submit" className="w-full" disabled={pending}>
          {pending ? "Saving…" : "Save password"}
        </Button>
      </form>
    </Card>
  );
}
