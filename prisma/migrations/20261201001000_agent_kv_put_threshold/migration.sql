-- The guarded PUT's degrade threshold: computed in numeric, and checked once.
--
-- 1. limit × percent overflowed INTEGER for any daily limit above 26,843,545
--    at the default 80 % (the settings allow up to 2,000,000,000), so every
--    guarded PUT of such a workspace failed with "integer out of range" (a
--    500) instead of being written. Found when the benchmark's workspace was
--    given a real limit.
-- 2. The threshold was read twice, before the write and after the units were
--    taken, each time as the sum of all the workspace's slots — rows that their
--    constant HOT updates spread over about as many heap pages as there are
--    slots, the costliest read of the statement (in PostgreSQL alone, under 32
--    clients: 1.4–1.6× the writes per second without the first read, with the
--    slot choice of migration 20261201000000). Only the read after the units
--    decides (it also sees the calls that committed meanwhile); the read before
--    merely spared a degraded workspace's calls a write that is then rolled
--    back. The caller now spares them that instead: after the general path
--    finds a key's workspace degraded or stopped, it sends that key's writes
--    straight to the general path for a few seconds (lib/server/agent-api).
--
-- 3. The Idempotency-Key is claimed first (by kv_put, as the general path
--    claims it) instead of stored after the write: the two paths took the
--    record's and the entry's locks in opposite orders, so two copies of one
--    request on different paths (one app process had sent the key's writes to
--    the general path, another had not) could deadlock — a 500 after a second.
--
-- Otherwise as migration 20261126000000 made it.
CREATE OR REPLACE FUNCTION "agent_kv_put"(
  p_key_hash TEXT, p_now TIMESTAMPTZ, p_start INTEGER, p_workspace_slots INTEGER, p_credential_slots INTEGER,
  p_namespace TEXT, p_key TEXT, p_value JSONB, p_ttl_seconds INTEGER, p_precondition TEXT, p_if_version INTEGER,
  p_reason TEXT, p_correlation_id TEXT, p_request_id TEXT, p_audit_details JSONB,
  p_idempotency_key TEXT, p_fingerprint TEXT, p_idempotency_expires TIMESTAMPTZ
) -- requests_used: the day's requests with this one (other calls' uncommitted units unseen), when the
-- workspace has a limit; null without one.
RETURNS TABLE ("entry_version" INTEGER, "response" TEXT, "key_id" TEXT, "key_last_used_at" TIMESTAMPTZ,
               "zone" TEXT, "request_limit" INTEGER, "requests_used" BIGINT)
LANGUAGE plpgsql AS $$
DECLARE
  p RECORD;
  today DATE;
  normal_below BIGINT;
  put RECORD;
  total BIGINT;
BEGIN
  SELECT c.id, c.daily_write_ceiling, c.last_used_at, i.id AS identity_id, i.name AS identity_name,
         w.id AS workspace_id, w.time_zone, w.daily_request_limit, w.degrade_at_percent
  INTO p
  FROM credential c
  JOIN identity i ON i.id = c.identity_id
  JOIN workspace w ON w.id = c.workspace_id
  WHERE c.key_hash = p_key_hash AND c.revoked_at IS NULL AND c.expires_at > p_now
    AND i.status = 'active' AND NOT w.kill_switch;
  IF p.id IS NULL THEN
    RETURN;
  END IF;

  IF NOT EXISTS (
    SELECT 1 FROM identity_grant g
    WHERE g.identity_id = p.identity_id AND g.access IN ('write', 'readwrite')
      AND (g.pattern = '*' OR g.pattern = p_namespace
           OR (g.pattern LIKE '%.*' AND length(p_namespace) > length(g.pattern) - 1
               AND starts_with(p_namespace, left(g.pattern, -1))))
  ) THEN
    RETURN;
  END IF;

  IF p_idempotency_key IS NOT NULL AND EXISTS (
    SELECT 1 FROM idempotency_record r
    WHERE r.identity_id = p.identity_id AND r.key = p_idempotency_key AND r.expires_at > p_now
  ) THEN
    RETURN; -- a replay: the general path answers with the stored response
  END IF;

  today := (p_now AT TIME ZONE p.time_zone)::date;
  normal_below := CASE WHEN p.daily_request_limit IS NULL THEN NULL
                       ELSE LEAST(p.daily_request_limit, ceil(p.daily_request_limit::numeric * p.degrade_at_percent / 100)) END;
  IF p.daily_write_ceiling IS NOT NULL
     AND NOT EXISTS (SELECT 1 FROM usage_slot s WHERE s.scope_id = p.id AND s.day = today AND s.used < s.cap) THEN
    RETURN;
  END IF;

  -- kv_put claims the Idempotency-Key first, then writes, then stores the response: the order the
  -- general path's runIdempotent locks them in, so a twin of this request on the other path waits
  -- for this one (or this one for it) instead of deadlocking.
  SELECT * INTO put FROM kv_put(p.workspace_id, p_namespace, p_key, p_value, p_ttl_seconds, p_precondition,
                                p_if_version, p_now, 'identity', p.identity_id, p.identity_name, p_reason,
                                p_correlation_id, p_request_id, p_audit_details,
                                p.identity_id, p_idempotency_key, p_fingerprint, p_idempotency_expires);
  IF put.outcome <> 'written' THEN
    RETURN; -- refused (nothing written, the claim given back) or taken by a twin: the general path answers
  END IF;

  IF budget_take_free(p.workspace_id, today, p_start % p_workspace_slots, p_workspace_slots) IS NULL
     OR budget_take_free(p.id, today, p_start % p_credential_slots, p_credential_slots) IS NULL THEN
    RAISE EXCEPTION 'the guarded write is left to the general path' USING ERRCODE = 'BKV01';
  END IF;
  IF normal_below IS NOT NULL THEN
    total := (SELECT sum(s.used) FROM usage_slot s WHERE s.scope_id = p.workspace_id AND s.day = today);
    IF total >= normal_below THEN
      RAISE EXCEPTION 'the guarded write is left to the general path' USING ERRCODE = 'BKV01';
    END IF;
  END IF;

  RETURN QUERY SELECT put.version, put.body, p.id, p.last_used_at, p.time_zone, p.daily_request_limit, total;
END;
$$;
