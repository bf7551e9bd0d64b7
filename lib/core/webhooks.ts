import { createHmac, timingSafeEqual } from "node:crypto";
import { classifyAddress, describeRefusal, isIpAddress } from "./network-address";

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
  /** The task that needs a human; null for an action's overrun (then `actionId`). */
  taskId: string | null;
  actionId?: string | null;
  workflowClass: string;
  workspace: string;
  link: string;
  overdue: boolean;
};

/** A body Slack's incoming webhooks accept (`text` + `blocks`), with the structured facts alongside. */
export function escalationPayload(n: EscalationNotice) {
  const subject = n.taskId ? `task ${n.taskId}` : `action ${n.actionId}`;
  const headline = `${n.overdue ? "⏰ Still unacknowledged: " : "🚨 "}${n.workflowClass} ${subject} needs a human (${n.cause.replace("_", " ")})`;
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

/** An approval notice (API.md: `approval.requested`, `approval.decided`, `approval.expired`). */
export type ApprovalNotice = {
  event: "approval.requested" | "approval.decided" | "approval.expired";
  actionId: string;
  action: string;
  /** The action's status when the notice is sent. */
  status: string;
  summary: string | null;
  resource: string | null;
  estimateUsd: number | null;
  expiresAt: string | null;
  taskId: string | null;
  workflowClass: string;
  workspace: string;
  link: string;
  /** Sent to the second tier: still undecided at half its approval timeout. */
  secondTier: boolean;
};

/** Slack-compatible like escalation notices; the facts under `approval`. */
export function approvalPayload(n: ApprovalNotice) {
  const what = `${n.action}${n.summary ? ` — ${n.summary}` : ""}`;
  const headline =
    n.event === "approval.requested"
      ? `${n.secondTier ? "⏰ Still waiting for approval: " : "✋ Approval needed: "}${what}`
      : n.event === "approval.expired"
        ? `⌛ Approval expired (nobody decided): ${what}`
        : `✅ Approval decided (${n.status.replace("_", " ")}): ${what}`;
  const facts = [
    `class ${n.workflowClass}`,
    n.estimateUsd !== null ? `estimate $${n.estimateUsd}` : null,
    n.resource ? `resource ${n.resource}` : null,
    n.event === "approval.requested" && n.expiresAt ? `decide before ${n.expiresAt}` : null,
  ].filter(Boolean);
  return {
    text: `${headline} <${n.link}|Open action>`,
    blocks: [
      { type: "section", text: { type: "mrkdwn", text: `*${headline}*\n${facts.join(" · ")}` } },
      {
        type: "actions",
        elements: [{ type: "button", text: { type: "plain_text", text: "Open action" }, url: n.link }],
      },
    ],
    approval: n,
  };
}

/**
 * Where webhooks may go, as the operator configured it (lib/env.ts): by
 * default only public addresses; `allowPrivateNetworks` lifts that for every
 * host, `allowedHosts` (normalized `host` or `host:port`) for those hosts only.
 */
export type DestinationPolicy = { allowPrivateNetworks: boolean; allowedHosts: readonly string[] };

export const PUBLIC_ONLY: DestinationPolicy = { allowPrivateNetworks: false, allowedHosts: [] };

/**
 * `WEBHOOK_ALLOWED_HOSTS`: a comma list of `host` or `host:port` (IPv6 in
 * brackets), normalized as URLs normalize hosts — so `0x7f000001` names
 * 127.0.0.1, as it would in a webhook URL. Throws on an entry that is no host.
 */
export function parseAllowedHosts(list: string): string[] {
  return list
    .split(",")
    .map((entry) => entry.trim())
    .filter(Boolean)
    .map((entry) => {
      const match = /^(\[[^\]]+\]|[^:/?#@[\]\s]+)(?::(\d{1,5}))?$/.exec(entry);
      let hostname: string | null = null;
      try {
        hostname = match ? new URL(`http://${match[1]}/`).hostname : null;
      } catch {
        hostname = null;
      }
      const port = match?.[2] === undefined ? undefined : Number(match[2]);
      if (!hostname || (port !== undefined && (port < 1 || port > 65535)))
        throw new Error(`"${entry}" is not a host or host:port`);
      return port === undefined ? hostname : `${hostname}:${port}`;
    });
}

export type WebhookUrlDecision =
  | {
      ok: true;
      url: URL;
      /** The host to connect to, without IPv6 brackets. */
      host: string;
      port: number;
      /** The operator allows this host on private networks: its addresses are not judged. */
      trusted: boolean;
      /** The host is an IP address: no name to resolve. */
      literal: boolean;
    }
  | { ok: false; reason: string };

const effectivePort = (url: URL) => (url.port ? Number(url.port) : url.protocol === "https:" ? 443 : 80);

/**
 * The first check of a webhook URL, on its text alone: http(s) only; a host
 * that is an IP address (in any spelling — the URL parser normalizes
 * `http://2130706433/`, `http://0x7f000001/`, `http://0177.0.0.1/`,
 * `http://127.1/` to 127.0.0.1) must be public, and `localhost` names are
 * loopback by definition. A host name passes here; its addresses are judged
 * when it is resolved (on saving, and again on every connection).
 */
export function checkWebhookUrl(text: string, policy: DestinationPolicy): WebhookUrlDecision {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return { ok: false, reason: "not a valid URL" };
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") return { ok: false, reason: "use an http(s) URL" };
  const host = url.hostname.startsWith("[") ? url.hostname.slice(1, -1) : url.hostname;
  if (!host) return { ok: false, reason: "the URL has no host" };
  const port = effectivePort(url);
  const trusted =
    policy.allowPrivateNetworks ||
    policy.allowedHosts.includes(url.hostname) ||
    policy.allowedHosts.includes(`${url.hostname}:${port}`);
  const literal = isIpAddress(host);
  if (!trusted) {
    const name = host.replace(/\.$/, "").toLowerCase();
    if (name === "localhost" || name.endsWith(".localhost")) return { ok: false, reason: `${host} (a loopback name)` };
    if (literal) {
      const verdict = classifyAddress(host);
      if (!verdict.allowed) return { ok: false, reason: describeRefusal(verdict) };
    }
  }
  return { ok: true, url, host, port, trusted, literal };
}

/**
 * A webhook URL as people other than admins see it — and as the audit trail
 * keeps it: scheme and host only. Incoming-webhook URLs (Slack's, Discord's)
 * are bearer secrets in their path; credentials and query go too.
 */
export function maskWebhookUrl(text: string): string {
  try {
    const url = new URL(text);
    return `${url.protocol}//${url.host}/…`;
  } catch {
    return "[redacted]";
  }
}

/**
 * A delivery's last result for the escalation page. Admins see the detail
 * (status code, error text: they configured the receiver); everyone else only
 * whether it worked, since the detail of what a URL answered is what makes a
 * webhook a probe of the network behind it.
 */
export function deliveryResultText(
  d: { status: "pending" | "delivered" | "failed"; lastStatusCode: number | null; lastError: string | null },
  detailed: boolean,
): string {
  if (detailed) return d.lastError ?? (d.lastStatusCode ? `HTTP ${d.lastStatusCode}` : "—");
  if (d.status === "delivered") return "delivered";
  return d.status === "failed" || d.lastError ? "delivery failed" : "—";
}
