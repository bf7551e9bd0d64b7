"use client";

import type { FormAction } from "@/lib/action-state";
import { ReasonDialog } from "@/components/ui/reason-dialog";

export function RemoveMemberDialog({
  workspace,
  userId,
  email,
  action,
}: {
  workspace: string;
  userId: string;
  email: string;
  action: FormAction;
}) {
  return (
    <ReasonDialog
      action={action}
      fields={{ workspace, userId }}
      trigger="Remove"
      triggerLabel={`Remove ${email}`}
      title={`Remove ${email}?`}
      description="They lose access to this workspace at once and are signed out everywhere (every browser, every workspace they belong to; they can sign in again to the others). Their audit history stays."
      submitLabel="Remove member"
    />
  );
}
