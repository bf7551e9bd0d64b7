"use client";

import { removeMemberAction } from "@/app/(dashboard)/w/[workspace]/settings/members/actions";
import { ReasonDialog } from "@/components/ui/reason-dialog";

export function RemoveMemberDialog({ workspace, userId, email }: { workspace: string; userId: string; email: string }) {
  return (
    <ReasonDialog
      action={removeMemberAction}
      fields={{ workspace, userId }}
      trigger="Remove"
      triggerLabel={`Remove ${email}`}
      title={`Remove ${email}?`}
      description="They lose access to this workspace at once and are signed out everywhere (every browser, every workspace they belong to; they can sign in again to the others). Their audit history stays."
      submitLabel="Remove member"
    />
  );
}
