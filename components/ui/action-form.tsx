"use client";

import { useRef, type ReactNode } from "react";
import type { ActionState, FormAction } from "@/lib/action-state";
import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { useServerForm } from "./use-server-form";

/**
 * A form bound to a server action: shows its message, passes field errors to
 * the fields, disables the submit button while it runs, and (optionally)
 * clears itself after a success.
 */
export function ActionForm<T>({
  action,
  hidden,
  submitLabel,
  pendingLabel = "Saving…",
  resetOnSuccess = false,
  showSuccess = true,
  className = "space-y-4",
  children,
  after,
}: {
  action: FormAction<T>;
  hidden?: Record<string, string>;
  submitLabel: string;
  pendingLabel?: string;
  resetOnSuccess?: boolean;
  /** Off when the caller shows its own success (e.g. a key shown once). */
  showSuccess?: boolean;
  className?: string;
  children: (errors: ActionState<T>["fieldErrors"]) => ReactNode;
  after?: (state: ActionState<T>) => ReactNode;
}) {
  const form = useRef<HTMLFormElement>(null);
  const { state, pending, onSubmit } = useServerForm(
    async (previous: ActionState<T> | undefined, formData: FormData) => {
      const result = await action(previous, formData);
      if (result.ok && resetOnSuccess) form.current?.reset();
      return result;
    },
  );
  return (
    <form ref={form} onSubmit={onSubmit} className={className} noValidate>
      {Object.entries(hidden ?? {}).map(([name, value]) => (
        <input key={name} type="hidden" name={name} value={value} />
      ))}
      {state?.message && (showSuccess || !state.ok) ? (
        <Alert tone={state.ok ? "success" : "error"}>{state.message}</Alert>
      ) : null}
      {state && after ? after(state) : null}
      {children(state?.fieldErrors)}
      <div>
        <Button type="submit" disabled={pending}>
          {pending ? pendingLabel : submitLabel}
        </Button>
      </div>
    </form>
  );
}
