import "server-only";
import { randomUUID } from "node:crypto";
import { formatUsd } from "@/lib/core/money";
import {
  approvalPayload,
  deliveryBackoffSeconds,
  escalationPayload,
  type ApprovalNotice,
  MAX_DELIVERY_ATTEMPTS,
  SIGNATURE_HEADER,
  signatureHeader,
} from "@/lib/core/webhooks";
import { publicUrl, webhookDestinationPolicy } from "@/lib/env";
import { systemActor, writeAudit } from "../audit";
import { getDb } from "../db";
import { open } from "../secret-box";
import type { Resolver } from "../webhooks/destination";
import { postWebhook, type PostResult } from "../webhooks/post-webhook";

const BATCH = 20;
const TIMEOUT_MS = 5_000;
/** Well over a send's TIMEOUT_MS: only a run that died mid-send leaves a claim to run out. */
const CLAIM_LEASE_MS = 60_000;

type ClaimedDelivery = {
  id: bigint;
  url: string;
  tier: number;
  attempts: number;
  /** `escalation`, or an approval event (lib/server/actions/notify.ts). */
  event: string;
  escalation_id: string | null;
  action_id: string | null;
  cause: string | null;
  reason: string | null;
  task_id: string | null;
  action_name: string | null;
  action_status: string | null;
  action_summary: string | null;
  action_resource: string | null;
  action_expires_at: Date | null;
  estimate_micros: bigint | null;
  workspace_id: string;
  workspace_slug: string;
  class_name: string;
  secret_sealed: string | null;
};

/**
 * Sends due escalation notifications in three steps, so that no transaction
 * is open while a receiver takes its time: an open transaction holds back the
 * audit chainer (it seals only events older than the oldest running
 * transaction, lib/server/audit-trail/seal-events.ts), so one workspace's slow
 * receiver would have stalled sealing for every workspace.
 *
 * 1. Claim: one statement takes up to BATCH due deliveries (`FOR UPDATE SKIP
 *    LOCKED`, then a lease `claimed_until` with this run's token), so another
 *    run — in this instance or another — does not send the same ones meanwhile.
 * 2. Send each over HTTP, in parallel, outside any transaction, with a timeout,
 *    only to a destination the operator's policy allows (postWebhook).
 * 3. Record each result — delivered, or rescheduled with exponential backoff,
 *    or failed after MAX_DELIVERY_ATTEMPTS — with its audit event, in a short
 *    transaction of its own, if the claim is still this run's.
 *
 * A run that dies between 2 and 3 leaves the lease to run out, and the delivery
 * is sent again: receivers get at-least-once delivery (the body carries the
 * escalation id). `workspaceId` limits a run to one workspace (tests share a database).
 */
export async function deliverDueWebhooks(
  options: { now?: Date; resolve?: Resolver; workspaceId?: string } = {},
): Promise<{ delivered: number; retried: number; failed: number }> {
  const now = options.now ?? new Date();
  const token = randomUUID();
  const claimed = await getDb().$queryRaw<ClaimedDelivery[]>`
    WITH due AS (
      SELECT d.id FROM webhook_delivery d
      LEFT JOIN escalation e ON e.id = d.escalation_id
      LEFT JOIN action a ON a.id = d.action_id
      WHERE d.status = 'pending' AND d.next_attempt_at <= ${now}
        AND (d.claimed_until IS NULL OR d.claimed_until <= ${now})
        AND (${options.workspaceId ?? null}::text IS NULL
             OR COALESCE(e.workspace_id, a.workspace_id) = ${options.workspaceId ?? null})
      ORDER BY d.next_attempt_at
      LIMIT ${BATCH}
      FOR UPDATE OF d SKIP LOCKED
    ), claimed AS (
      UPDATE webhook_delivery d
      SET claimed_until = ${new Date(now.getTime() + CLAIM_LEASE_MS)}, claim_token = ${token}
      FROM due WHERE d.id = due.id
      RETURNING d.id, d.url, d.tier, d.attempts, d.event, d.escalation_id, d.action_id
    )
    SELECT c.id, c.url, c.tier, c.attempts, c.event, c.escalation_id, COALESCE(c.action_id, e.action_id) AS action_id,
           e.cause::text AS cause, COALESCE(e.reason, a.message) AS reason, COALESCE(e.task_id, a.task_id) AS task_id,
           a.action AS action_name, a.status::text AS action_status, a.summary AS action_summary,
           a.resource AS action_resource, a.expires_at AS action_expires_at, a.estimate_micros,
           w.id AS workspace_id, w.slug AS workspace_slug, wc.name AS class_name,
           wc.webhook_secret_encrypted AS secret_sealed
    FROM claimed c
    LEFT JOIN escalation e ON e.id = c.escalation_id
    LEFT JOIN action a ON a.id = COALESCE(c.action_id, e.action_id)
    LEFT JOIN task t ON t.id = e.task_id
    JOIN workspace w ON w.id = COALESCE(e.workspace_id, a.workspace_id)
    JOIN workflow_class wc ON wc.id = COALESCE(t.workflow_class_id, a.workflow_class_id)`;
  const policy = webhookDestinationPolicy();
  // Settled one by one: a delivery that throws (e.g. its secret cannot be opened) leaves its lease to run
  // out, and does not keep the others' results from being recorded.
  const settled = await Promise.allSettled(
    claimed.map(async (delivery) => {
      const result = await postWebhook(delivery.url, {
        ...signedRequest(delivery, now),
        policy,
        resolve: options.resolve,
        timeoutMs: TIMEOUT_MS,
      });
      return record(delivery, token, result, now);
    }),
  );
  const failure = settled.find((o) => o.status === "rejected");
  if (failure) throw failure.reason;
  const outcomes = settled.map((o) => (o as PromiseFulfilledResult<string>).value);
  return {
    delivered: outcomes.filter((o) => o === "delivered").length,
    retried: outcomes.filter((o) => o === "retried").length,
    failed: outcomes.filter((o) => o === "failed").length,
  };
}

/** The Slack-compatible body, signed with the class's secret (X-BaseKV-Signature). */
function signedRequest(d: ClaimedDelivery, now: Date): { headers: Record<string, string>; body: string } {
  const body = JSON.stringify(
    d.escalation_id
      ? escalationPayload({
          id: d.escalation_id,
          cause: d.cause!,
          reason: d.reason,
          taskId: d.task_id,
          actionId: d.action_id,
          workflowClass: d.class_name,
          workspace: d.workspace_slug,
          link: `${publicUrl()}/w/${d.workspace_slug}/escalations/${d.escalation_id}`,
          overdue: d.tier > 1,
        })
      : approvalPayload({
          event: d.event as ApprovalNotice["event"],
          actionId: d.action_id!,
          action: d.action_name!,
          status: d.action_status!,
          summary: d.action_summary,
          resource: d.action_resource,
          estimateUsd: d.estimate_micros === null ? null : formatUsd(d.estimate_micros),
          expiresAt: d.action_expires_at?.toISOString() ?? null,
          taskId: d.task_id,
          workflowClass: d.class_name,
          workspace: d.workspace_slug,
          link: `${publicUrl()}/w/${d.workspace_slug}/actions/${d.action_id}`,
          secondTier: d.tier > 1,
        }),
  );
  const headers: Record<string, string> = {
    "Content-Type": "application/json",
    "User-Agent": "BaseKV-Guardrails-Webhooks/1",
  };
  if (d.secret_sealed)
    headers[SIGNATURE_HEADER] = signatureHeader(open(d.secret_sealed), body, Math.floor(now.getTime() / 1000));
  return { headers, body };
}

async function record(
  d: ClaimedDelivery,
  token: string,
  result: PostResult,
  now: Date,
): Promise<"delivered" | "retried" | "failed" | "taken_over"> {
  const attempts = d.attempts + 1;
  const outcome = result.ok ? "delivered" : attempts >= MAX_DELIVERY_ATTEMPTS ? "failed" : "retried";
  const release = { claimedUntil: null, claimToken: null };
  const data = result.ok
    ? { status: "delivered" as const, attempts, lastStatusCode: result.statusCode, lastError: null, deliveredAt: now }
    : outcome === "failed"
      ? { status: "failed" as const, attempts, lastStatusCode: result.statusCode, lastError: result.error }
      : {
          attempts,
          lastStatusCode: result.statusCode,
          lastError: result.error,
          nextAttemptAt: new Date(now.getTime() + deliveryBackoffSeconds(attempts) * 1000),
        };
  return getDb().$transaction(async (tx) => {
    // Only while the claim is still ours: had the lease run out, another run has taken the delivery over.
    const { count } = await tx.webhookDelivery.updateMany({
      where: { id: d.id, claimToken: token },
      data: { ...data, ...release },
    });
    if (count === 0) return "taken_over";
    // Each attempt is in the trail with the escalation, in the transaction that records it. Everyone in
    // the workspace reads the trail, so it says only whether it worked: what the destination answered is
    // detail for admins, on the escalation (a probe's answer is what makes a webhook a port scanner).
    const subject = d.escalation_id ? "escalation" : "action";
    await writeAudit(tx, {
      workspaceId: d.workspace_id,
      actor: systemActor("webhook-delivery"),
      action:
        outcome === "delivered"
          ? `${subject}.notification_delivered`
          : outcome === "failed"
            ? `${subject}.notification_failed`
            : `${subject}.notification_retry_scheduled`,
      outcome: result.ok ? "success" : "error",
      target: d.escalation_id ?? d.action_id,
      reason: result.ok
        ? null
        : result.refused
          ? "destination refused: not a public address (details on the escalation, for admins)"
          : "delivery failed (details on the escalation, for admins)",
      details: { deliveryId: d.id, tier: d.tier, attempts, event: d.event },
    });
    return outcome;
  });
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
