import "server-only";
import {
  deliveryBackoffSeconds,
  escalationPayload,
  MAX_DELIVERY_ATTEMPTS,
  SIGNATURE_HEADER,
  signatureHeader,
} from "@/lib/core/webhooks";
import { publicUrl } from "@/lib/env";
import { systemActor, writeAudit } from "../audit";
import { getDb } from "../db";
import { open } from "../secret-box";

const DELIVERY_LOCK_KEY = 72707373;
const BATCH = 20;
const TIMEOUT_MS = 5_000;

/**
 * Sends due escalation notifications. One instance at a time (advisory lock);
 * each delivery is claimed with SKIP LOCKED, sent with a timeout, and either
 * marked delivered or rescheduled with exponential backoff (failed after
 * MAX_DELIVERY_ATTEMPTS). Attempts and errors stay visible on the escalation.
 */
export async function deliverDueWebhooks(
  now: Date = new Date(),
): Promise<{ delivered: number; retried: number; failed: number }> {
  const db = getDb();
  const result = { delivered: 0, retried: 0, failed: 0 };
  await db.$transaction(
    async (tx) => {
      const lock = await tx.$queryRaw<
        { locked: boolean }[]
      >`SELECT pg_try_advisory_xact_lock(${DELIVERY_LOCK_KEY}) AS locked`;
      if (!lock[0]?.locked) return;
      const due = await tx.$queryRaw<{ id: bigint }[]>`
        SELECT id FROM webhook_delivery WHERE status = 'pending' AND next_attempt_at <= ${now}
        ORDER BY next_attempt_at LIMIT ${BATCH} FOR UPDATE SKIP LOCKED`;
      for (const { id } of due) {
        const delivery = await tx.webhookDelivery.findUniqueOrThrow({
          where: { id },
          select: {
            id: true,
            url: true,
            tier: true,
            attempts: true,
            escalation: {
              select: {
                id: true,
                cause: true,
                reason: true,
                taskId: true,
                workspace: { select: { id: true, slug: true } },
                task: { select: { workflowClass: { select: { name: true, webhookSecretEncrypted: true } } } },
              },
            },
          },
        });
        const e = delivery.escalation;
        const body = JSON.stringify(
          escalationPayload({
            id: e.id,
            cause: e.cause,
            reason: e.reason,
            taskId: e.taskId,
            workflowClass: e.task.workflowClass.name,
            workspace: e.workspace.slug,
            link: `${publicUrl()}/w/${e.workspace.slug}/escalations/${e.id}`,
            overdue: delivery.tier > 1,
          }),
        );
        const headers: Record<string, string> = {
          "Content-Type": "application/json",
          "User-Agent": "BaseKV-Guardrails-Webhooks/1",
        };
        const sealed = e.task.workflowClass.webhookSecretEncrypted;
        if (sealed) headers[SIGNATURE_HEADER] = signatureHeader(open(sealed), body, Math.floor(now.getTime() / 1000));

        let statusCode: number | null = null;
        let error: string | null = null;
        try {
          const response = await fetch(delivery.url, {
            method: "POST",
            headers,
            body,
            signal: AbortSignal.timeout(TIMEOUT_MS),
            redirect: "manual",
          });
          statusCode = response.status;
          if (!response.ok) error = `HTTP ${response.status}`;
        } catch (cause) {
          error = cause instanceof Error ? cause.message.slice(0, 300) : "request failed";
        }
        const attempts = delivery.attempts + 1;
        if (!error) {
          await tx.webhookDelivery.update({
            where: { id },
            data: { status: "delivered", attempts, lastStatusCode: statusCode, lastError: null, deliveredAt: now },
          });
          result.delivered++;
        } else if (attempts >= MAX_DELIVERY_ATTEMPTS) {
          await tx.webhookDelivery.update({
            where: { id },
            data: { status: "failed", attempts, lastStatusCode: statusCode, lastError: error },
          });
          result.failed++;
        } else {
          const nextAttemptAt = new Date(now.getTime() + deliveryBackoffSeconds(attempts) * 1000);
          await tx.webhookDelivery.update({
            where: { id },
            data: { attempts, lastStatusCode: statusCode, lastError: error, nextAttemptAt },
          });
          result.retried++;
        }
        // Each attempt is in the trail with the escalation, in the transaction that records it.
        await writeAudit(tx, {
          workspaceId: e.workspace.id,
          actor: systemActor("webhook-delivery"),
          action: !error
            ? "escalation.notification_delivered"
            : attempts >= MAX_DELIVERY_ATTEMPTS
              ? "escalation.notification_failed"
              : "escalation.notification_retry_scheduled",
          outcome: error ? "error" : "success",
          target: e.id,
          reason: error,
          details: { deliveryId: delivery.id, tier: delivery.tier, attempts, statusCode },
        });
      }
    },
    { maxWait: 10_000, timeout: 120_000 },
  );
  return result;
}

/**
 * An escalation still open after its class's acknowledgement deadline is
 * re-notified once, to the second-tier URL when set, and shows as overdue.
 */
export async function notifyOverdueEscalations(now: Date = new Date()): Promise<string[]> {
  const db = getDb();
  return db.$transaction(async (tx) => {
    const overdue = await tx.$queryRaw<{ id: string; url: string; workspace_id: string }[]>`
      SELECT e.id, e.workspace_id, COALESCE(c.webhook_url_tier2, c.webhook_url) AS url
      FROM escalation e JOIN task t ON t.id = e.task_id JOIN workflow_class c ON c.id = t.workflow_class_id
      WHERE e.status = 'open' AND e.overdue_notified_at IS NULL AND c.ack_deadline_seconds IS NOT NULL
        AND e.created_at <= ${now}::timestamptz - make_interval(secs => c.ack_deadline_seconds)
      LIMIT 100
      FOR UPDATE OF e SKIP LOCKED`;
    for (const e of overdue) {
      await tx.escalation.update({ where: { id: e.id }, data: { overdueNotifiedAt: now } });
      if (e.url)
        await tx.webhookDelivery.create({ data: { escalationId: e.id, tier: 2, url: e.url, nextAttemptAt: now } });
      await writeAudit(tx, {
        workspaceId: e.workspace_id,
        actor: systemActor("webhook-delivery"),
        action: "escalation.overdue",
        target: e.id,
        reason: "not acknowledged within the class's acknowledgement deadline",
        details: { secondTierNotification: Boolean(e.url) },
      });
    }
    return overdue.map((e) => e.id);
  });
}
