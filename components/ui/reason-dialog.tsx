"use client";

import { useState, type ReactNode } from "react";
import type { ActionState, FormAction } from "@/lib/action-state";
import { Alert } from "@/components/ui/alert";
import { Button, type ButtonProps } from "@/components/ui/button";
import { Dialog, DialogClose, DialogContent, DialogTrigger } from "@/components/ui/dialog";
import { Field, Textarea } from "@/components/ui/field";
import { useServerForm } from "./use-server-form";

/**
 * Every destructive or security-relevant action goes through this: a
 * confirmation that says what will happen and a reason for the audit trail.
 */
export function ReasonDialog<T>({
  action,
  fields,
  trigger,
  triggerLabel,
  triggerVariant = "ghost",
  title,
  description,
  submitLabel,
  submitVariant = "danger",
  children,
  onDone,
}: {
  action: FormAction<T>;
  fields: Record<string, string>;
  trigger: ReactNode;
  triggerLabel?: string;
  triggerVariant?: ButtonProps["variant"];
  title: string;
  description: ReactNode;
  submitLabel: string;
  submitVariant?: ButtonProps["variant"];
  children?: ReactNode;
  onDone?: (state: ActionState<T>) => void;
}) {
  const [open, setOpen] = useState(false);
  const { state, pending, onSubmit } = useServerForm(
    async (previous: ActionState<T> | undefined, formData: FormData) => {
      const result = await action(previous, formData);
      if (result.ok) {
        setOpen(false);
        onDone?.(result);
      }
      return result;
    },
  );
  const id = Object.values(fields).join("-");
  return (
    <Dialog open={open} onOpenChange={setOpen}>
      <DialogTrigger asChild>
        <Button variant={triggerVariant} size="sm" aria-label={triggerLabel}>
          {trigger}
        </Button>
      </DialogTrigger>
      <DialogContent title={title} description={description}>
        <form onSubmit={onSubmit} className="space-y-4">
          {Object.entries(fields).map(([name, value]) => (
            <input key={name} type="hidden" name={name} value={value} />
          ))}
          {state?.message && !state.ok ? <Alert tone="error">{state.message}</Alert> : null}
          {children}
          <Field
            label="Reason"
            htmlFor={`reason-${id}`}
            error={state?.fieldErrors?.reason}
            hint="Recorded in the audit trail."
          >
            <Textarea id={`reason-${id}`} name="reason" rows={2} required />
          </Field>
          <div className="flex justify-end gap-2">
            <DialogClose asChild>
              <Button variant="secondary">Cancel</Button>
            </DialogClose>
            <Button type="submit" variant={submitVariant} disabled={pending}>
              {pending ? "Working…" : submitLabel}
            </Button>
          </div>
        </form>
      </DialogContent>
    </Dialog>
  );
}
