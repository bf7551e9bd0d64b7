-- The one INSERT into the audit trail. Every writer calls it: the TypeScript writer
-- (lib/server/audit.ts `writeAudit`, for everything the services audit) and the database's own
-- writes (kv_put, kv_delete). Details arrive stripped of secrets: they come from
-- `auditDetailsJson` in lib/server/audit.ts (the database adds only versions and expiry).
-- id, created_at and xid (the writing transaction, for the hash chain) are the table's defaults.
-- (plpgsql: its statement is planned once per connection; a SQL function's would be on every call.)
CREATE OR REPLACE FUNCTION "audit_insert"(
  p_workspace TEXT, p_actor_type "actor_type", p_actor_id TEXT, p_actor_name TEXT, p_action TEXT,
  p_outcome "audit_outcome", p_namespace TEXT, p_target TEXT, p_reason TEXT, p_correlation_id TEXT,
  p_request_id TEXT, p_details JSONB
) RETURNS VOID LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO audit_event (workspace_id, actor_type, actor_id, actor_name, action, outcome, namespace, target,
                           reason, correlation_id, request_id, details)
  VALUES (p_workspace, p_actor_type, p_actor_id, p_actor_name, p_action, p_outcome, p_namespace, p_target,
          p_reason, p_correlation_id, p_request_id, p_details);
END;
$$;
