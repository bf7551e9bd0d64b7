import "server-only";
import type { AccessLevel, Grant } from "@/lib/core/grants";
import type { SpendLimits } from "@/lib/core/spend";
import { poolSql } from "../db";
import { logger } from "../logger";

export type AgentPrincipal = {
  credential: {
    id: string;
    prefix: string;
    expiresAt: Date;
    revokedAt: Date | null;
    dailyWriteCeiling: number | null;
    lastUsedAt: Date | null;
  };
  identity: { id: string; name: string; status: "active" | "disabled" };
  workflowClass: {
    id: string;
    name: string;
    maxAttempts: number;
    initialIntervalMs: number;
    backoffCoefficient: number;
    maxIntervalMs: number;
    nonRetryableErrors: string[];
    heartbeatTimeoutSeconds: number;
  };
  workspace: {
    id: string;
    slug: string;
    timeZone: string;
    dailyRequestLimit: number | null;
    degradeAtPercent: number;
    stopMessage: string | null;
    killSwitch: boolean;
    /** The version of the workspace's action rules the stamp covers (lib/server/actions/rules-cache.ts). */
    actionRulesVersion: number;
  };
  grants: Grant[];
  /** The spend budgets of the workspace, the class and the key (lib/core/spend.ts); null is unlimited. */
  spend: SpendLimits;
  /** principal_stamp (prisma/sql/principal_stamp.sql) as loaded: the fast path acts only while it is unchanged. */
  stamp: string;
  /** Today's counters as read with the key (the day in the workspace's time zone). */
  usageSnapshot: { day: string; requests: number; writes: number };
};

type Row = {
  credential_id: string;
  prefix: string;
  expires_at: Date;
  revoked_at: Date | null;
  daily_write_ceiling: number | null;
  last_used_at: Date | null;
  identity_id: string;
  identity_name: string;
  identity_status: "active" | "disabled";
  class_id: string;
  class_name: string;
  max_attempts: number;
  initial_interval_ms: number;
  backoff_coefficient: number;
  max_interval_ms: number;
  non_retryable_errors: string[];
  heartbeat_timeout_seconds: number;
  workspace_id: string;
  slug: string;
  time_zone: string;
  daily_request_limit: number | null;
  degrade_at_percent: number;
  stop_message: string | null;
  kill_switch: boolean;
  action_rules_version: number;
  grants: { pattern: string; access: AccessLevel }[];
  credential_usd_limit: string | null;
  class_usd_limit: string | null;
  daily_usd_limit_micros: string | null;
  monthly_usd_limit_micros: string | null;
  daily_token_limit: string | null;
  stamp: string;
  usage_day: string;
  requests_used: string;
  writes_used: string;
};

const LOAD_PRINCIPAL = `
  SELECT c.id AS credential_id, c.prefix, c.expires_at, c.revoked_at, c.daily_write_ceiling, c.last_used_at,
         i.id AS identity_id, i.name AS identity_name, i.status::text AS identity_status,
         wc.id AS class_id, wc.name AS class_name, wc.max_attempts, wc.initial_interval_ms, wc.backoff_coefficient,
         wc.max_interval_ms, wc.non_retryable_errors, wc.heartbeat_timeout_seconds,
         w.id AS workspace_id, w.slug, w.time_zone, w.daily_request_limit, w.degrade_at_percent, w.stop_message, w.kill_switch,
         w.action_rules_version,
         COALESCE((SELECT json_agg(json_build_object('pattern', g.pattern, 'access', g.access::text) ORDER BY g.pattern)
                     FROM identity_grant g WHERE g.identity_id = i.id), '[]'::json) AS grants,
         c.daily_usd_limit_micros AS credential_usd_limit, wc.daily_usd_limit_micros AS class_usd_limit,
         w.daily_usd_limit_micros, w.monthly_usd_limit_micros, w.daily_token_limit,
         principal_stamp(c, i, w) AS stamp,
         to_char(d.day, 'YYYY-MM-DD') AS usage_day,
         (SELECT COALESCE(sum(u.used), 0) FROM usage_slot u WHERE u.scope_id = w.id AND u.day = d.day) AS requests_used,
         (SELECT COALESCE(sum(u.used), 0) FROM usage_slot u WHERE u.scope_id = c.id AND u.day = d.day) AS writes_used
  FROM credential c
  JOIN identity i ON i.id = c.identity_id
  JOIN workflow_class wc ON wc.id = i.workflow_class_id
  JOIN workspace w ON w.id = c.workspace_id
  CROSS JOIN LATERAL (SELECT ($2::timestamptz AT TIME ZONE w.time_zone)::date AS day) d
  WHERE c.key_hash = $1`;

/**
 * Everything a call needs about its key, in one round trip and uncached: a
 * revocation or a disabled identity therefore takes effect on the very next
 * request. Today's usage comes along (the day in the workspace's time zone).
 */
export async function loadPrincipal(keyHash: string, now: Date = new Date()): Promise<AgentPrincipal | null> {
  const rows = await poolSql().query<Row>(LOAD_PRINCIPAL, [keyHash, now]);
  const r = rows[0];
  if (!r) return null;
  return {
    credential: {
      id: r.credential_id,
      prefix: r.prefix,
      expiresAt: r.expires_at,
      revokedAt: r.revoked_at,
      dailyWriteCeiling: r.daily_write_ceiling,
      lastUsedAt: r.last_used_at,
    },
    identity: { id: r.identity_id, name: r.identity_name, status: r.identity_status },
    workflowClass: {
      id: r.class_id,
      name: r.class_name,
      maxAttempts: r.max_attempts,
      initialIntervalMs: r.initial_interval_ms,
      backoffCoefficient: r.backoff_coefficient,
      maxIntervalMs: r.max_interval_ms,
      nonRetryableErrors: r.non_retryable_errors,
      heartbeatTimeoutSeconds: r.heartbeat_timeout_seconds,
    },
    workspace: {
      id: r.workspace_id,
      slug: r.slug,
      timeZone: r.time_zone,
      dailyRequestLimit: r.daily_request_limit,
      degradeAtPercent: r.degrade_at_percent,
      stopMessage: r.stop_message,
      killSwitch: r.kill_switch,
      actionRulesVersion: r.action_rules_version,
    },
    grants: r.grants,
    spend: {
      workspace: {
        dailyUsdMicros: bigintOrNull(r.daily_usd_limit_micros),
        monthlyUsdMicros: bigintOrNull(r.monthly_usd_limit_micros),
        dailyTokens: bigintOrNull(r.daily_token_limit),
      },
      classDailyUsdMicros: bigintOrNull(r.class_usd_limit),
      credentialDailyUsdMicros: bigintOrNull(r.credential_usd_limit),
    },
    stamp: r.stamp,
    usageSnapshot: { day: r.usage_day, requests: Number(r.requests_used), writes: Number(r.writes_used) },
  };
}

function bigintOrNull(value: string | null): bigint | null {
  return value === null ? null : BigInt(value);
}

const LAST_USED_RESOLUTION_MS = 60_000;

/**
 * `last used` is informational: written at most about once a minute per key,
 * outside the request's critical path (the conditional UPDATE makes concurrent
 * calls from several instances write once).
 */
export function touchLastUsed(credential: { id: string; lastUsedAt: Date | null }, now: Date): void {
  const last = credential.lastUsedAt?.getTime() ?? 0;
  if (now.getTime() - last < LAST_USED_RESOLUTION_MS) return;
  poolSql()
    .query(
      `UPDATE credential SET last_used_at = $2
       WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < $3)`,
      [credential.id, now, new Date(now.getTime() - LAST_USED_RESOLUTION_MS)],
    )
    .catch((error: unknown) => logger.warn({ err: error, credentialId: credential.id }, "could not record last use"));
}
