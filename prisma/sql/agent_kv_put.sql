-- The agent API's guarded PUT as one statement — the hot path, tried before anything else for a
-- key this process has recently loaded and found valid (lib/server/agent-api/kv-handlers.ts
-- `putKvExpress`). TypeScript has already decided, from that remembered principal, everything a
-- rule decides: the key is valid, a grant allows the write, the day (p_day, in the workspace's
-- time zone) and the first request total that is no longer normal (p_normal_below: the degrade
-- threshold, null without a limit). This statement checks that the principal is unchanged
-- (principal_stamp), then does all of the call or nothing:
--   the Idempotency-Key claimed (idempotency_claim), the write and its audit event (kv_put), the
--   budget units (budget_take_free), the response stored for replays (idempotency_store).
-- No row — or the error BKV01, which rolls the statement back — leaves the call to the general
-- path, which decides and explains it: a changed principal, a replay or a twin still running, a
-- refusal, a budget unit not available without laying out the day, a workspace that this call
-- would take out of normal mode. requests_used: the day's requests with this one (other calls'
-- uncommitted units unseen), when the workspace has a limit.
CREATE OR REPLACE FUNCTION "agent_kv_put"(
  p_key_hash TEXT, p_stamp TEXT, p_now TIMESTAMPTZ, p_day DATE, p_normal_below BIGINT,
  p_start INTEGER, p_workspace_slots INTEGER, p_credential_slots INTEGER,
  p_namespace TEXT, p_key TEXT, p_value JSONB, p_ttl_seconds INTEGER, p_precondition TEXT, p_if_version INTEGER,
  p_reason TEXT, p_correlation_id TEXT, p_request_id TEXT, p_audit_details JSONB,
  p_idempotency_key TEXT, p_fingerprint TEXT, p_idempotency_expires TIMESTAMPTZ
) RETURNS TABLE ("entry_version" INTEGER, "entry_status" INTEGER, "response" TEXT, "key_last_used_at" TIMESTAMPTZ, "requests_used" BIGINT)
LANGUAGE plpgsql AS $$
DECLARE
  p RECORD;
  put RECORD;
  total BIGINT;
BEGIN
  SELECT c.id, c.daily_write_ceiling, c.last_used_at, i.id AS identity_id, i.name AS identity_name,
         w.id AS workspace_id
  INTO p
  FROM credential c
  JOIN identity i ON i.id = c.identity_id
  JOIN workspace w ON w.id = c.workspace_id
  WHERE c.key_hash = p_key_hash AND principal_stamp(c, i, w) = p_stamp;
  IF p.id IS NULL THEN
    RETURN;
  END IF;
  -- A key at its write ceiling: refused by the general path, without a write to roll back first.
  IF p.daily_write_ceiling IS NOT NULL
     AND NOT EXISTS (SELECT 1 FROM usage_slot s WHERE s.scope_id = p.id AND s.day = p_day AND s.used < s.cap) THEN
    RETURN;
  END IF;
  IF p_idempotency_key IS NOT NULL
     AND NOT idempotency_claim(p.identity_id, p_idempotency_key, p_fingerprint, p_now, p_idempotency_expires) THEN
    RETURN;
  END IF;

  SELECT * INTO put FROM kv_put(p.workspace_id, p_namespace, p_key, p_value, p_ttl_seconds, p_precondition,
                                p_if_version, p_now, 'identity', p.identity_id, p.identity_name, p_reason,
                                p_correlation_id, p_request_id, p_audit_details);
  IF put.outcome <> 'written'
     OR budget_take_free(p.workspace_id, p_day, p_start % p_workspace_slots, p_workspace_slots, 1) IS NULL
     OR budget_take_free(p.id, p_day, p_start % p_credential_slots, p_credential_slots, 1) IS NULL THEN
    RAISE EXCEPTION 'the guarded write is left to the general path' USING ERRCODE = 'BKV01';
  END IF;
  IF p_normal_below IS NOT NULL THEN
    total := (SELECT sum(s.used) FROM usage_slot s WHERE s.scope_id = p.workspace_id AND s.day = p_day);
    IF total >= p_normal_below THEN
      RAISE EXCEPTION 'the guarded write is left to the general path' USING ERRCODE = 'BKV01';
    END IF;
  END IF;
  IF p_idempotency_key IS NOT NULL THEN
    PERFORM idempotency_store(p.identity_id, p_idempotency_key, put.status, put.body,
                              jsonb_build_object('X-Request-Id', p_request_id, 'ETag', '"' || put.version || '"'));
  END IF;
  RETURN QUERY SELECT put.version, put.status, put.body, p.last_used_at, total;
END;
$$;
