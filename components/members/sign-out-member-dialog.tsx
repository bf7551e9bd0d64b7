"use client";

import { useState } from "react";
import { signOutMemberEverywhereAction } from "@/app/(dashboard)/w/[workspace]/settings/members/actions";
import { ReasonDialog } from "@/components/ui/reason-dialog";

export function SignOutMemberDialog({
  workspace,
  userId,
  email,
  isYou,
}: {
  workspace: string;
  userId: string;
  email: string;
  isYou: boolean;
}) {
  const [done, setDone] = useState<string | null>(null);
  return (
    <span className="inline-flex flex-col items-end">
      <ReasonDialog
        action={signOutMemberEverywhereAction}
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
