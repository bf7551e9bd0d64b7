import "server-only";
import { can, type Role } from "@/lib/core/roles";
import { deliveryResultText, maskWebhookUrl } from "@/lib/core/webhooks";
import { getDb } from "../db";

export type DeliveryView = {
  id: string;
  tier: number;
  /** The full URL for admins; scheme and host for everyone else (it may be a secret incoming-webhook URL). */
  destination: string;
  status: "pending" | "delivered" | "failed";
  attempts: number;
  /** Status code and error text for admins; only whether it worked for everyone else. */
  result: string;
  nextAttemptAt: Date | null;
};

/**
 * An escalation's notification deliveries as `role` may see them. Everyone
 * sees that notifications went out and whether they worked; the URL and what
 * the destination answered are the admins' — they chose the receiver, and the
 * answers of arbitrary URLs are what would make a webhook a network probe.
 */
export async function listEscalationDeliveries(input: {
  workspaceId: string;
  escalationId: string;
  role: Role;
}): Promise<DeliveryView[]> {
  const detailed = can(input.role, "workspace.configure");
  const rows = await getDb().webhookDelivery.findMany({
    where: { escalationId: input.escalationId, escalation: { workspaceId: input.workspaceId } },
    orderBy: { id: "asc" },
    select: {
      id: true,
      tier: true,
      url: true,
      status: true,
      attempts: true,
      nextAttemptAt: true,
      lastStatusCode: true,
      lastError: true,
    },
  });
  return rows.map((d) => ({
    id: d.id.toString(),
    tier: d.tier,
    destination: detailed ? d.url : maskWebhookUrl(d.url),
    status: d.status,
    attempts: d.attempts,
    result: deliveryResultText(d, detailed),
    nextAttemptAt: d.status === "pending" ? d.nextAttemptAt : null,
  }));
}
