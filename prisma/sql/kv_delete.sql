-- A KV delete in one statement, the counterpart of kv_put: the namespace, the precondition, the
-- delete and its audit event together. `outcome`:
--   'deleted'           version: the version deleted;
--   'no_namespace'      the workspace has no such namespace (404);
--   'not_found'         no live entry (absent or expired) (404);
--   'version_conflict'  If-Match names another version, or If-None-Match: * (412); current_version
--                       is the live entry's.
-- A refusal deletes nothing.
CREATE OR REPLACE FUNCTION "kv_delete"(
  p_workspace TEXT, p_namespace TEXT, p_key TEXT, p_precondition TEXT, p_if_version INTEGER, p_now TIMESTAMPTZ,
  p_actor_type "actor_type", p_actor_id TEXT, p_actor_name TEXT, p_reason TEXT,
  p_correlation_id TEXT, p_request_id TEXT
) RETURNS TABLE ("outcome" TEXT, "version" INTEGER, "current_version" INTEGER)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
  ns RECORD;
  deleted_version INTEGER;
  live_version INTEGER;
BEGIN
  SELECT n.id, n.name INTO ns FROM namespace n WHERE n.workspace_id = p_workspace AND n.name = p_namespace;
  IF ns.id IS NULL THEN
    RETURN QUERY SELECT 'no_namespace'::TEXT, NULL::INTEGER, NULL::INTEGER;
    RETURN;
  END IF;
  IF p_precondition <> 'absent' THEN
    DELETE FROM kv_entry e
    WHERE e.namespace_id = ns.id AND e.key = p_key AND (e.expires_at IS NULL OR e.expires_at > p_now)
      AND (p_if_version IS NULL OR e.version = p_if_version)
    RETURNING e.version INTO deleted_version;
  END IF;
  IF deleted_version IS NULL THEN
    SELECT e.version INTO live_version FROM kv_entry e
    WHERE e.namespace_id = ns.id AND e.key = p_key AND (e.expires_at IS NULL OR e.expires_at > p_now);
    RETURN QUERY SELECT CASE WHEN live_version IS NULL THEN 'not_found' ELSE 'version_conflict' END,
                        NULL::INTEGER, live_version;
    RETURN;
  END IF;
  PERFORM audit_insert(p_workspace, p_actor_type, p_actor_id, p_actor_name, 'kv.delete', 'success', ns.name, p_key,
                       p_reason, p_correlation_id, p_request_id,
                       jsonb_build_object('versionBefore', deleted_version, 'versionAfter', NULL));
  RETURN QUERY SELECT 'deleted'::TEXT, deleted_version, NULL::INTEGER;
END;
$$;
