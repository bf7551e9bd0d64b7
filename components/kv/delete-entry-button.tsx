"use client";

import { useRouter } from "next/navigation";
import { deleteEntryAction } from "@/app/(dashboard)/w/[workspace]/namespaces/[namespaceId]/actions";
import { ReasonDialog } from "@/components/ui/reason-dialog";

export function DeleteEntryButton({
  workspace,
  namespaceId,
  entryKey,
  namespace,
}: {
  workspace: string;
  namespaceId: string;
  entryKey: string;
  namespace: string;
}) {
  const router = useRouter();
  return (
    <ReasonDialog
      action={deleteEntryAction}
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
