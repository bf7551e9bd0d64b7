"use client";

import { useRouter } from "next/navigation";
import type { FormAction } from "@/lib/action-state";
import { ReasonDialog } from "@/components/ui/reason-dialog";

export function DeleteEntryButton({
  workspace,
  namespaceId,
  entryKey,
  namespace,
  action,
}: {
  workspace: string;
  namespaceId: string;
  entryKey: string;
  namespace: string;
  action: FormAction;
}) {
  const router = useRouter();
  return (
    <ReasonDialog
      action={action}
      fields={{ workspace, namespaceId, key: entryKey }}
      trigger="Delete key"
      triggerVariant="danger"
      title={`Delete ${entryKey}?`}
      description={`The entry leaves ${namespace} at once; an agent reading it gets 404. Its history stays in the audit trail.`}
      submitLabel="Delete key"
      onDone={() => router.push(`/w/${workspace}/namespaces/${namespaceId}`)}
    />
  );
}
