import "server-only";
import type { Tx } from "../db";

export const APPROVAL_EVENTS = ["approval.requested", "approval.decided", "approval.expired"] as const;
export type ApprovalEvent = (typeof APPROVAL_EVENTS)[number];

/**
 * Queues an approval notice for the action's workflow class (API.md: "The workflow class's webhooks
 * receive approval.requested, approval.decided and approval.expired"): one outbox row, in the
 * transaction that changes the action, delivered and signed by the webhook worker like escalation
 * notices (lib/server/jobs/deliver-webhooks.ts). Tier 2 goes to the class's second-tier URL (or
 * the first when none is set). Nothing is queued when the class has no webhook.
 */
export async function queueApprovalNotice(
  tx: Tx,
  input: { actionId: string; workflowClassId: string; event: ApprovalEvent; tier?: 1 | 2; now: Date },
): Promise<boolean> {
  const tier = input.tier ?? 1;
  const { webhookUrl, webhookUrlTier2 } = await tx.workflowClass.findUniqueOrThrow({
    where: { id: input.workflowClassId },
    select: { webhookUrl: true, webhookUrlTier2: true },
  });
  const url = tier === 2 ? (webhookUrlTier2 ?? webhookUrl) : webhookUrl;
  if (!url) return false;
  await tx.webhookDelivery.create({
    data: { actionId: input.actionId, event: input.event, tier, url, nextAttemptAt: input.now },
  });
  return true;
}
