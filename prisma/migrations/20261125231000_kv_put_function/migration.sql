-- A KV write in one statement: the one implementation of "put" (lib/server/kv/put-kv-entry.ts
-- calls it; the agent API's PUT calls it directly, with its Idempotency-Key).
--
-- 1. With an idempotency key, claim it first — new, or expired. A concurrent
--    duplicate's claim waits on the unique index until this transaction ends.
--    Not claimed → outcome 'taken', nothing written: the caller replays.
-- 2. The namespace, its TTL policy, the precondition: any refusal → outcome
--    'refused', nothing written (the claim given back); the caller finds out
--    why and answers (lib/server/kv/put-kv-entry.ts), as it did before.
-- 3. Otherwise write the entry, its audit event (versions, expiry and the
--    caller's details) and, with a key, the response — all one transaction.
--    The response body is rendered here, byte for byte what
--    JSON.stringify({ namespace, key, version, expiresAt }) gives, so the
--    stored copy and the first answer are the same text.
CREATE FUNCTION "kv_put"(
  p_workspace TEXT, p_namespace TEXT, p_key TEXT, p_value JSONB, p_ttl_seconds INTEGER,
  p_precondition TEXT, p_if_version INTEGER, p_now TIMESTAMPTZ,
  p_actor_type "actor_type", p_actor_id TEXT, p_actor_name TEXT, p_reason TEXT,
  p_correlation_id TEXT, p_request_id TEXT, p_audit_details JSONB,
  p_identity TEXT, p_idempotency_key TEXT, p_fingerprint TEXT, p_idempotency_expires TIMESTAMPTZ
) RETURNS TABLE ("outcome" TEXT, "version" INTEGER, "expires_at" TIMESTAMPTZ, "body" TEXT)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
  ns RECORD;
  ttl INTEGER;
  expiry TIMESTAMPTZ;
  written_version INTEGER;
  written_expiry TIMESTAMPTZ;
  response TEXT;
BEGIN
  IF p_idempotency_key IS NOT NULL THEN
    INSERT INTO idempotency_record (identity_id, key, fingerprint, response_status, response_body, created_at, expires_at)
    VALUES (p_identity, p_idempotency_key, p_fingerprint, 0, '', p_now, p_idempotency_expires)
    ON CONFLICT (identity_id, key) DO UPDATE
      SET fingerprint = EXCLUDED.fingerprint, response_status = 0, response_body = '', response_headers = '{}',
          created_at = EXCLUDED.created_at, expires_at = EXCLUDED.expires_at
      WHERE idempotency_record.expires_at <= p_now;
    IF NOT FOUND THEN
      RETURN QUERY SELECT 'taken'::TEXT, NULL::INTEGER, NULL::TIMESTAMPTZ, NULL::TEXT;
      RETURN;
    END IF;
  END IF;

  SELECT n.id, n.name, n.default_ttl_seconds, n.max_ttl_seconds INTO ns
  FROM namespace n WHERE n.workspace_id = p_workspace AND n.name = p_namespace;
  ttl := COALESCE(p_ttl_seconds, ns.default_ttl_seconds);
  IF ns.id IS NOT NULL AND NOT (p_ttl_seconds IS NOT NULL AND ns.max_ttl_seconds IS NOT NULL AND p_ttl_seconds > ns.max_ttl_seconds) THEN
    expiry := CASE WHEN ttl IS NULL THEN NULL ELSE p_now + make_interval(secs => ttl) END;
    IF p_precondition = 'match' THEN
      UPDATE kv_entry e SET value = p_value, version = e.version + 1, expires_at = expiry, updated_at = p_now,
             updated_by_type = p_actor_type, updated_by_id = p_actor_id, updated_by_name = p_actor_name, update_reason = p_reason
      WHERE e.namespace_id = ns.id AND e.key = p_key AND e.version = p_if_version AND (e.expires_at IS NULL OR e.expires_at > p_now)
      RETURNING e.version, e.expires_at INTO written_version, written_expiry;
    ELSE
      -- Without If-None-Match a live entry is updated; with it, only an absent (or expired) one is
      -- written. An expired entry counts as absent: writing it starts again at version 1.
      INSERT INTO kv_entry AS e (namespace_id, key, workspace_id, value, version, expires_at, created_at, updated_at,
                                 updated_by_type, updated_by_id, updated_by_name, update_reason)
      VALUES (ns.id, p_key, p_workspace, p_value, 1, expiry, p_now, p_now, p_actor_type, p_actor_id, p_actor_name, p_reason)
      ON CONFLICT (namespace_id, key) DO UPDATE SET
        value = EXCLUDED.value,
        version = CASE WHEN e.expires_at IS NOT NULL AND e.expires_at <= p_now THEN 1 ELSE e.version + 1 END,
        created_at = CASE WHEN e.expires_at IS NOT NULL AND e.expires_at <= p_now THEN p_now ELSE e.created_at END,
        expires_at = EXCLUDED.expires_at, updated_at = EXCLUDED.updated_at, updated_by_type = EXCLUDED.updated_by_type,
        updated_by_id = EXCLUDED.updated_by_id, updated_by_name = EXCLUDED.updated_by_name, update_reason = EXCLUDED.update_reason
      WHERE p_precondition <> 'absent' OR (e.expires_at IS NOT NULL AND e.expires_at <= p_now)
      RETURNING e.version, e.expires_at INTO written_version, written_expiry;
    END IF;
  END IF;

  IF written_version IS NULL THEN
    IF p_idempotency_key IS NOT NULL THEN
      DELETE FROM idempotency_record WHERE identity_id = p_identity AND key = p_idempotency_key;
    END IF;
    RETURN QUERY SELECT 'refused'::TEXT, NULL::INTEGER, NULL::TIMESTAMPTZ, NULL::TEXT;
    RETURN;
  END IF;

  INSERT INTO audit_event (workspace_id, actor_type, actor_id, actor_name, action, outcome, namespace, target,
                           reason, correlation_id, request_id, details)
  VALUES (p_workspace, p_actor_type, p_actor_id, p_actor_name, 'kv.put', 'success', ns.name, p_key,
          p_reason, p_correlation_id, p_request_id,
          p_audit_details || jsonb_build_object(
            'versionBefore', CASE WHEN written_version = 1 THEN NULL ELSE written_version - 1 END,
            'versionAfter', written_version,
            'expiresAt', to_char(written_expiry AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')));

  response := '{"namespace":' || to_json(ns.name)::TEXT || ',"key":' || to_json(p_key)::TEXT
    || ',"version":' || written_version || ',"expiresAt":'
    || COALESCE(to_json(to_char(written_expiry AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))::TEXT, 'null')
    || '}';
  IF p_idempotency_key IS NOT NULL THEN
    UPDATE idempotency_record
    SET response_status = CASE WHEN written_version = 1 THEN 201 ELSE 200 END, response_body = response,
        response_headers = jsonb_build_object('X-Request-Id', p_request_id, 'ETag', '"' || written_version || '"')
    WHERE identity_id = p_identity AND key = p_idempotency_key;
  END IF;
  RETURN QUERY SELECT 'written'::TEXT, written_version, written_expiry, response;
END;
$$;
