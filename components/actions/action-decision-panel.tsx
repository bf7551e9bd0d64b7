"use client";

import { useState } from "react";
import type { FormAction } from "@/lib/action-state";
import { Alert } from "@/components/ui/alert";
import { Card } from "@/components/ui/card";
import { DecisionForms } from "./decision-forms";

/**
 * The detail page's approve/reject forms. Mounted whatever the status, so the message of the
 * decision that moved the action on stays on screen after the refresh that removes the forms.
 */
export function ActionDecisionPanel({
  workspace,
  actionId,
  argumentsText,
  pending,
  approve,
  reject,
}: {
  workspace: string;
  actionId: string;
  argumentsText: string;
  pending: boolean;
  approve: FormAction;
  reject: FormAction;
}) {
  const [notice, setNotice] = useState<string | null>(null);
  const [actions] = useState(() => {
    const noting =
      (action: FormAction): FormAction =>
      async (previous, formData) => {
        const result = await action(previous, formData);
        if (result.ok) setNotice(result.message);
        return result;
      };
    return { approve: noting(approve), reject: noting(reject) };
  });
  if (!pending) return notice ? <Alert tone="success">{notice}</Alert> : null;
  return (
    <Card>
      <h2 className="mb-4 text-base font-semibold">Decide</h2>
      <DecisionForms
        workspace={workspace}
        actionId={actionId}
        argumentsText={argumentsText}
        approve={actions.approve}
        reject={actions.reject}
      />
    </Card>
  );
}
