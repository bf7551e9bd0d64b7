"use client";

import { useState } from "react";
import type { FormAction } from "@/lib/action-state";
import { ReasonDialog } from "@/components/ui/reason-dialog";

export function SignOutMemberDialog({
  workspace,
  userId,
  email,
  isYou,
  action,
}: {
  workspace: string;
  userId: string;
  email: string;
  isYou: boolean;
  action: FormAction;
}) {
  const [done, setDone] = useState<string | null>(null);
  return (
    <span className="inline-flex flex-col items-end">
      <ReasonDialog
        action={action}
        fields={{ workspace, userId }}
        trigger="Sign out everywhere"
        triggerLabel={`Sign out ${email} everywhere`}
        title={`Sign ${email} out everywhere?`}
        description={
          <>
            Ends every session of this person at once: in every browser, and in every workspace they belong to — not
            only this one. Their password does not change; they can sign in again.
            {isYou ? " This includes your own session." : ""}
          </>
        }
        submitLabel="Sign out everywhere"
        onDone={(state) => setDone(state.message)}
      />
      {done ? (
        <span role="status" className="text-xs text-zinc-500">
          {done}
        </span>
      ) : null}
    </span>
  );
}
