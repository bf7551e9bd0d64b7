-- Claims an Idempotency-Key for one call (Stripe's model): true when this call now holds it — the
-- key is new, or its record has expired (an expired record no longer holds it). A concurrent
-- duplicate's claim waits on the unique index until the first call's transaction ends, then
-- finds the committed record: false, and the caller replays it (or refuses a different request
-- under the same key). Called by the general path (lib/server/agent-api/idempotency.ts) and by
-- the one-statement PUT (agent_kv_put), in the same order: claim, write, store the response —
-- so twins of one request on the two paths wait for each other instead of deadlocking.
CREATE OR REPLACE FUNCTION "idempotency_claim"(
  p_identity TEXT, p_key TEXT, p_fingerprint TEXT, p_now TIMESTAMPTZ, p_expires TIMESTAMPTZ
) RETURNS BOOLEAN LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO idempotency_record (identity_id, key, fingerprint, response_status, response_body, created_at, expires_at)
  VALUES (p_identity, p_key, p_fingerprint, 0, '', p_now, p_expires)
  ON CONFLICT (identity_id, key) DO UPDATE
    SET fingerprint = EXCLUDED.fingerprint, response_status = 0, response_body = '', response_headers = '{}',
        created_at = EXCLUDED.created_at, expires_at = EXCLUDED.expires_at
    WHERE idempotency_record.expires_at <= p_now;
  RETURN FOUND;
END;
$$;
