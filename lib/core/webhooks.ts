import { createHmac, timingSafeEqual } from "node:crypto";

/**
 * Escalation webhooks: Slack-compatible bodies, signed like Stripe's
 * (`X-BaseKV-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`),
 * retried with exponential backoff.
 */
export const SIGNATURE_HEADER = "X-BaseKV-Signature";
export const MAX_DELIVERY_ATTEMPTS = 8;

export function signatureHeader(secret: string, body: string, timestampSeconds: number): string {
  const mac = createHmac("sha256", secret).update(`${timestampSeconds}.${body}`).digest("hex");
  return `t=${timestampSeconds},v1=${mac}`;
}

/** What a receiver does: recompute and compare in constant time, and refuse stale timestamps. */
export function verifySignature(
  secret: string,
  body: string,
  header: string,
  nowSeconds: number,
  toleranceSeconds = 300,
): boolean {
  const parts = Object.fromEntries(header.split(",").map((p) => p.split("=", 2) as [string, string]));
  const t = Number(parts.t);
  if (!Number.isInteger(t) || Math.abs(nowSeconds - t) > toleranceSeconds || !parts.v1) return false;
  const expected = Buffer.from(signatureHeader(secret, body, t).split("v1=")[1]!, "hex");
  const given = Buffer.from(parts.v1, "hex");
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** Seconds before the next attempt after `attempts` failed ones: 2, 4, 8 … capped at 5 minutes. */
export function deliveryBackoffSeconds(attempts: number): number {
  return Math.min(2 ** attempts, 300);
}

export type EscalationNotice = {
  id: string;
  cause: string;
  reason: string | null;
  taskId: string;
  workflowClass: string;
  workspace: string;
  link: string;
  overdue: boolean;
};

/** A body Slack's incoming webhooks accept (`text` + `blocks`), with the structured facts alongside. */
export function escalationPayload(n: EscalationNotice) {
  const headline = `${n.overdue ? "⏰ Still unacknowledged: " : "🚨 "}${n.workflowClass} task ${n.taskId} needs a human (${n.cause.replace("_", " ")})`;
  return {
    text: `${headline}${n.reason ? ` — ${n.reason}` : ""} <${n.link}|Open escalation>`,
    blocks: [
      { type: "section", text: { type: "mrkdwn", text: `*${headline}*${n.reason ? `\n${n.reason}` : ""}` } },
      {
        type: "actions",
        elements: [{ type: "button", text: { type: "plain_text", text: "Open escalation" }, url: n.link }],
      },
    ],
    escalation: n,
  };
}
