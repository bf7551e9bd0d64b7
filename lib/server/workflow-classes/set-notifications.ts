import "server-only";
import { randomBytes } from "node:crypto";
import { AppError } from "@/lib/core/errors";
import { webhookDestinationPolicy } from "@/lib/env";
import { writeAudit, type Actor } from "../audit";
import { getDb } from "../db";
import { seal } from "../secret-box";
import { checkWebhookDestination, type Resolver } from "../webhooks/destination";

/**
 * Escalation notifications of a workflow class. A new signing secret is
 * returned once (for the receiver to verify X-BaseKV-Signature) and stored
 * only encrypted. A URL whose destination the operator's policy refuses
 * (loopback, private, link-local … — SSRF) is refused here with a form error;
 * delivery checks again, on the address it connects to.
 */
export async function setNotifications(input: {
  workspaceId: string;
  actor: Actor;
  classId: string;
  webhookUrl: string | null;
  webhookUrlTier2: string | null;
  ackDeadlineSeconds: number | null;
  newSecret: boolean;
  reason?: string;
  /** Tests inject a resolver; production resolves with the system's. */
  resolve?: Resolver;
}): Promise<{ secret: string | null }> {
  // Before the transaction: resolving a name may take a while, and nothing should wait on it.
  for (const field of ["webhookUrl", "webhookUrlTier2"] as const) {
    const url = input[field];
    if (!url) continue;
    const check = await checkWebhookDestination(url, webhookDestinationPolicy(), input.resolve);
    if (!check.ok)
      throw new AppError(
        "validation_failed",
        `Refused: ${check.reason}. Notifications go to public addresses only (an operator can allow a host with WEBHOOK_ALLOWED_HOSTS).`,
        { field },
      );
  }
  return getDb().$transaction(async (tx) => {
    const wc = await tx.workflowClass.findFirst({
      where: { id: input.classId, workspaceId: input.workspaceId },
      select: { id: true, name: true, webhookSecretEncrypted: true },
    });
    if (!wc) throw new AppError("not_found", "No such workflow class in this workspace.");
    const secret =
      input.newSecret || (!wc.webhookSecretEncrypted && input.webhookUrl)
        ? `whsec_${randomBytes(24).toString("base64url")}`
        : null;
    await tx.workflowClass.update({
      where: { id: wc.id },
      data: {
        webhookUrl: input.webhookUrl,
        webhookUrlTier2: input.webhookUrlTier2,
        ackDeadlineSeconds: input.ackDeadlineSeconds,
        ...(secret ? { webhookSecretEncrypted: seal(secret) } : {}),
      },
    });
    await writeAudit(tx, {
      workspaceId: input.workspaceId,
      actor: input.actor,
      action: "workflow_class.notifications_changed",
      target: wc.name,
      reason: input.reason,
      details: {
        webhookUrl: input.webhookUrl,
        webhookUrlTier2: input.webhookUrlTier2,
        ackDeadlineSeconds: input.ackDeadlineSeconds,
        secretRotated: Boolean(secret),
      },
    });
    return { secret };
  });
}
