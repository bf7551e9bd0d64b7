-- The agent API's guarded PUT in one statement: the key, its grant, the
-- workspace's and the key's budget units, the write with its audit event and
-- stored response — all of it or nothing.
--
-- It takes only the ordinary case: a usable key, a grant that allows the
-- write, counters already laid out for today with room left, and a workspace
-- that stays in normal mode after this call. Anything else — an unknown,
-- revoked or expired key, a disabled identity, the kill switch, no grant, the
-- day's first call, a degraded or exhausted workspace, a key at its ceiling,
-- a replay, a refusal of the write itself — returns no row (or, once the write
-- was done, raises BKV01 so the statement rolls back whole), and the caller
-- takes the general path, which decides, explains and audits it
-- (lib/server/agent-api/agent-route.ts).
--
-- The rules it applies are those of lib/core (grants.ts: patternMatches and
-- accessAllows; credential-policy.ts: checkCredential; budget.ts: decideMode);
-- tests hold the two to the same answers.

-- A unit from a scope's counter slots for the day as they are (none laid out
-- → none taken): the slot at p_start if it has room, else the first after it
-- with room. One UPDATE, whose row lock lasts until the caller commits; a
-- slot filled meanwhile fails the recheck and nothing is taken (the general
-- path then tries every slot).
CREATE FUNCTION "budget_take_free"(p_scope TEXT, p_day DATE, p_start INTEGER, p_slots INTEGER)
RETURNS INTEGER LANGUAGE plpgsql AS $$
DECLARE
  taken INTEGER;
BEGIN
  UPDATE usage_slot u SET used = u.used + 1
  WHERE u.scope_id = p_scope AND u.day = p_day AND u.slot = p_start AND u.used < u.cap
  RETURNING u.slot INTO taken;
  IF taken IS NULL THEN
    UPDATE usage_slot u SET used = u.used + 1
    WHERE u.scope_id = p_scope AND u.day = p_day AND u.used < u.cap
      AND u.slot = (SELECT s.slot FROM usage_slot s
                    WHERE s.scope_id = p_scope AND s.day = p_day AND s.used < s.cap
                    ORDER BY ((s.slot - p_start) % p_slots + p_slots) % p_slots LIMIT 1)
    RETURNING u.slot INTO taken;
  END IF;
  RETURN taken;
END;
$$;

-- Order: cheap reads first (key, grant, a replay's record, the degrade
-- threshold, the key's ceiling), so that ordinary refusals leave before any
-- write; then the write (kv_put, whose refusals write nothing); then the
-- idempotency record with the final response, in one INSERT (a twin request
-- that committed first makes it conflict: roll back, the general path
-- replays); the counters last, so their row locks are held only until commit.
CREATE FUNCTION "agent_kv_put"(
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
                       ELSE LEAST(p.daily_request_limit, ceil(p.daily_request_limit * p.degrade_at_percent / 100.0)) END;
  IF normal_below IS NOT NULL
     AND (SELECT COALESCE(sum(s.used), 0) FROM usage_slot s WHERE s.scope_id = p.workspace_id AND s.day = today) + 1 >= normal_below THEN
    RETURN;
  END IF;
  IF p.daily_write_ceiling IS NOT NULL
     AND NOT EXISTS (SELECT 1 FROM usage_slot s WHERE s.scope_id = p.id AND s.day = today AND s.used < s.cap) THEN
    RETURN;
  END IF;

  SELECT * INTO put FROM kv_put(p.workspace_id, p_namespace, p_key, p_value, p_ttl_seconds, p_precondition,
                                p_if_version, p_now, 'identity', p.identity_id, p.identity_name, p_reason,
                                p_correlation_id, p_request_id, p_audit_details, NULL, NULL, NULL, NULL);
  IF put.outcome <> 'written' THEN
    RETURN;
  END IF;

  IF p_idempotency_key IS NOT NULL THEN
    INSERT INTO idempotency_record (identity_id, key, fingerprint, response_status, response_body, response_headers,
                                    created_at, expires_at)
    VALUES (p.identity_id, p_idempotency_key, p_fingerprint, CASE WHEN put.version = 1 THEN 201 ELSE 200 END, put.body,
            jsonb_build_object('X-Request-Id', p_request_id, 'ETag', '"' || put.version || '"'), p_now, p_idempotency_expires)
    ON CONFLICT (identity_id, key) DO UPDATE
      SET fingerprint = EXCLUDED.fingerprint, response_status = EXCLUDED.response_status,
          response_body = EXCLUDED.response_body, response_headers = EXCLUDED.response_headers,
          created_at = EXCLUDED.created_at, expires_at = EXCLUDED.expires_at
      WHERE idempotency_record.expires_at <= p_now;
    IF NOT FOUND THEN
      RAISE EXCEPTION 'the guarded write is left to the general path' USING ERRCODE = 'BKV01';
    END IF;
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
