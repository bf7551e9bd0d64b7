"use client";

import { useRef } from "react";
import { useServerForm } from "@/components/ui/use-server-form";
import type { ActionState, FormAction } from "@/lib/action-state";
import { ROLES, ROLE_LABELS } from "@/lib/core/roles";
import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { Field, Input, Select } from "@/components/ui/field";

type Added = { email: string; oneTimePassword: string };

export function AddMemberForm({ workspace, action }: { workspace: string; action: FormAction<Added> }) {
  const form = useRef<HTMLFormElement>(null);
  const { state, pending, onSubmit } = useServerForm(
    async (previous: ActionState<Added> | undefined, formData: FormData) => {
      const result = await action(previous, formData);
      if (result.ok) form.current?.reset();
      return result;
    },
  );
  const created = state?.ok ? state.data : undefined;

  return (
    <form ref={form} onSubmit={onSubmit} className="space-y-4" noValidate>
      <input type="hidden" name="workspace" value={workspace} />
      {state?.message ? (
        <Alert tone={state.ok ? "success" : "error"}>
          <p>{state.message}</p>
          {created?.oneTimePassword ? (
            <p className="mt-2">
              One-time password for {created.email}:{" "}
              <code
                data-testid="one-time-password"
                className="rounded bg-white/60 px-1.5 py-0.5 font-mono dark:bg-black/30"
              >
                {created.oneTimePassword}
              </code>
            </p>
          ) : null}
          {created ? (
            <p className="mt-2 text-xs">
              New to BaseKV, they sign in with it once and then choose their own password. If they already have an
              account, they sign in with their own password as usual and find this workspace in their list.
            </p>
          ) : null}
        </Alert>
      ) : null}
      <div className="grid gap-4 sm:grid-cols-[2fr_1.5fr_1fr_auto] sm:items-end">
        <Field label="Email" htmlFor="member-email" error={state?.fieldErrors?.email}>
          <Input id="member-email" name="email" type="email" placeholder="oncall@example.com" required />
        </Field>
        <Field label="Name (optional)" htmlFor="member-name" error={state?.fieldErrors?.name}>
          <Input id="member-name" name="name" />
        </Field>
        <Field label="Role" htmlFor="member-role" error={state?.fieldErrors?.role}>
          <Select id="member-role" name="role" defaultValue="viewer">
            {ROLES.map((role) => (
              <option key={role} value={role}>
                {ROLE_LABELS[role]}
              </option>
            ))}
          </Select>
        </Field>
        <Button type="submit" disabled={pending}>
          {pending ? "Adding…" : "Add member"}
        </Button>
      </div>
    </form>
  );
}
