"use client";

import { useActionState, useState } from "react";
import type { ActionState } from "@/lib/action-state";
import { removeMemberAction } from "@/app/(dashboard)/w/[workspace]/settings/members/actions";
import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { Dialog, DialogClose, DialogContent, DialogTrigger } from "@/components/ui/dialog";
import { Field, Textarea } from "@/components/ui/field";

export function RemoveMemberDialog({ workspace, userId, email }: { workspace: string; userId: string; email: string }) {
  const [open, setOpen] = useState(false);
  const [state, action, pending] = useActionState(async (previous: ActionState | undefined, formData: FormData) => {
    const result = await removeMemberAction(previous, formData);
    if (result.ok) setOpen(false);
    return result;
  }, undefined);
  return (
    <Dialog open={open} onOpenChange={setOpen}>
      <DialogTrigger asChild>
        <Button variant="ghost" size="sm" aria-label={`Remove ${email}`}>
          Remove
        </Button>
      </DialogTrigger>
      <DialogContent title={`Remove ${email}?`} description="They lose access to this workspace at once. Their audit history stays.">
        <form action={action} className="space-y-4">
          <input type="hidden" name="workspace" value={workspace} />
          <input type="hidden" name="userId" value={userId} />
          {state?.message && !state.ok ? <Alert tone="error">{state.message}</Alert> : null}
          <Field label="Reason" htmlFor={`reason-${userId}`} error={state?.fieldErrors?.reason} hint="Recorded in the audit trail.">
            <Textarea id={`reason-${userId}`} name="reason" rows={2} required />
          </Field>
          <div className="flex justify-end gap-2">
            <DialogClose asChild>
              <Button variant="secondary">Cancel</Button>
            </DialogClose>
            <Button type="submit" variant="danger" disabled={pending}>
              {pending ? "Removing…" : "Remove member"}
            </Button>
          </div>
        </form>
      </DialogContent>
    </Dialog>
  );
}
