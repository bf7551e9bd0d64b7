-- A KV write in one statement: the one implementation of "put", for the agent API's two paths
-- (lib/server/kv/put-kv-entry.ts; agent_kv_put) and the dashboard. It decides, writes the entry
-- and its audit event together, and renders the response. `outcome`:
--   'written'             status (201 created, 200 updated), version, expires_at, and body: the
--                         response, byte for byte JSON.stringify({ namespace, key, version,
--                         expiresAt }) — the one definition of a PUT's answer, which a replay
--                         returns as stored;
--   'no_namespace'        the workspace has no such namespace (404);
--   'ttl_exceeds_policy'  ttlSeconds above the namespace's max_ttl_seconds (422; without one, the
--                         namespace's default TTL applies);
--   'version_conflict'    the precondition failed; current_version is the live entry's, or null.
-- A refusal writes nothing. An expired entry counts as absent: writing it starts again at version 1.
-- Concurrent writers are decided by the row lock: of 50 with the same If-Match, exactly one matches.
CREATE OR REPLACE FUNCTION "kv_put"(
  p_workspace TEXT, p_namespace TEXT, p_key TEXT, p_value JSONB, p_ttl_seconds INTEGER,
  p_precondition TEXT, p_if_version INTEGER, p_now TIMESTAMPTZ,
  p_actor_type "actor_type", p_actor_id TEXT, p_actor_name TEXT, p_reason TEXT,
  p_correlation_id TEXT, p_request_id TEXT, p_audit_details JSONB
) RETURNS TABLE ("outcome" TEXT, "status" INTEGER, "version" INTEGER, "expires_at" TIMESTAMPTZ, "body" TEXT,
                 "max_ttl_seconds" INTEGER, "current_version" INTEGER)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
  ns RECORD;
  ttl INTEGER;
  expiry TIMESTAMPTZ;
  written_version INTEGER;
  written_expiry TIMESTAMPTZ;
  expiry_text TEXT;
BEGIN
  SELECT n.id, n.name, n.default_ttl_seconds, n.max_ttl_seconds INTO ns
  FROM namespace n WHERE n.workspace_id = p_workspace AND n.name = p_namespace;
  IF ns.id IS NULL THEN
    RETURN QUERY SELECT 'no_namespace'::TEXT, 404, NULL::INTEGER, NULL::TIMESTAMPTZ, NULL::TEXT, NULL::INTEGER, NULL::INTEGER;
    RETURN;
  END IF;
  IF p_ttl_seconds IS NOT NULL AND ns.max_ttl_seconds IS NOT NULL AND p_ttl_seconds > ns.max_ttl_seconds THEN
    RETURN QUERY SELECT 'ttl_exceeds_policy'::TEXT, 422, NULL::INTEGER, NULL::TIMESTAMPTZ, NULL::TEXT,
                        ns.max_ttl_seconds, NULL::INTEGER;
    RETURN;
  END IF;

  ttl := COALESCE(p_ttl_seconds, ns.default_ttl_seconds);
  expiry := CASE WHEN ttl IS NULL THEN NULL ELSE p_now + make_interval(secs => ttl) END;
  IF p_precondition = 'match' THEN
    UPDATE kv_entry e SET value = p_value, version = e.version + 1, expires_at = expiry, updated_at = p_now,
           updated_by_type = p_actor_type, updated_by_id = p_actor_id, updated_by_name = p_actor_name, update_reason = p_reason
    WHERE e.namespace_id = ns.id AND e.key = p_key AND e.version = p_if_version AND (e.expires_at IS NULL OR e.expires_at > p_now)
    RETURNING e.version, e.expires_at INTO written_version, written_expiry;
  ELSE
    -- Without If-None-Match a live entry is updated; with it, only an absent (or expired) one is written.
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

  IF written_version IS NULL THEN
    RETURN QUERY SELECT 'version_conflict'::TEXT, 412, NULL::INTEGER, NULL::TIMESTAMPTZ, NULL::TEXT, NULL::INTEGER,
      (SELECT e.version FROM kv_entry e
       WHERE e.namespace_id = ns.id AND e.key = p_key AND (e.expires_at IS NULL OR e.expires_at > p_now));
    RETURN;
  END IF;

  expiry_text := to_char(written_expiry AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"');
  PERFORM audit_insert(p_workspace, p_actor_type, p_actor_id, p_actor_name, 'kv.put', 'success', ns.name, p_key,
                       p_reason, p_correlation_id, p_request_id,
                       p_audit_details || jsonb_build_object(
                         'versionBefore', CASE WHEN written_version = 1 THEN NULL ELSE written_version - 1 END,
                         'versionAfter', written_version,
                         'expiresAt', expiry_text));
  RETURN QUERY SELECT 'written'::TEXT, CASE WHEN written_version = 1 THEN 201 ELSE 200 END, written_version, written_expiry,
    '{"namespace":' || to_json(ns.name)::TEXT || ',"key":' || to_json(p_key)::TEXT
      || ',"version":' || written_version || ',"expiresAt":' || COALESCE(to_json(expiry_text)::TEXT, 'null') || '}',
    NULL::INTEGER, NULL::INTEGER;
END;
$$;
