"use client";

import { ShieldCheck } from "lucide-react";
import type { FormAction } from "@/lib/action-state";
import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { useServerForm } from "@/components/ui/use-server-form";

export function VerifyButton<T extends { ok: boolean }>({
  workspace,
  action,
}: {
  workspace: string;
  action: FormAction<T>;
}) {
  const { state, pending, onSubmit } = useServerForm(action);
  const broken = state?.ok && state.data?.ok === false;
  return (
    <form onSubmit={onSubmit} className="flex flex-col items-end gap-2">
      <input type="hidden" name="workspace" value={workspace} />
      <Button type="submit" variant="secondary" disabled={pending}>
        <ShieldCheck className="size-4" aria-hidden />
        {pending ? "Verifying…" : "Verify integrity"}
      </Button>
      {state?.message ? (
        <div data-testid="verify-result" className="max-w-md">
          <Alert tone={state.ok && !broken ? "success" : "error"}>{state.message}</Alert>
        </div>
      ) : null}
    </form>
  );
}
