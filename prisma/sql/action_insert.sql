-- The one INSERT of a decided action request, with its audit event `action.requested`: the general
-- path (lib/server/actions/request-action.ts, in its transaction) and the one-statement path
-- (agent_action_request) both call it. What the action is — status, deadline, the rule's copy,
-- shadow verdicts — was decided in TypeScript by lib/core (action-rules.ts, actions.ts); the audit
-- details arrive built and stripped of secrets by the caller (auditDetailsJson). What the action
-- reserved (spend_reserve: scopes, periods, slots) is kept for its settlement (action_spend_settle).
CREATE OR REPLACE FUNCTION "action_insert"(
  p_id TEXT, p_workspace TEXT, p_identity TEXT, p_identity_name TEXT, p_credential TEXT, p_class TEXT,
  p_action TEXT, p_status "action_status", p_summary TEXT, p_resource TEXT, p_arguments JSONB, p_arguments_sha256 TEXT,
  p_estimate_micros BIGINT, p_estimate_tokens BIGINT, p_rule_id TEXT, p_rule_name TEXT, p_rule JSONB, p_shadow JSONB,
  p_required_approvals INTEGER, p_approval_timeout INTEGER, p_completion_timeout INTEGER, p_expires_at TIMESTAMPTZ,
  p_message TEXT, p_task TEXT, p_correlation_id TEXT, p_request_id TEXT, p_now TIMESTAMPTZ,
  p_reason TEXT, p_audit_details JSONB,
  p_spend_day DATE, p_spend_scopes TEXT[], p_spend_periods DATE[], p_spend_slots INTEGER[]
) RETURNS VOID LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO action (id, workspace_id, identity_id, credential_id, workflow_class_id, action, status, summary, resource,
                      arguments, arguments_sha256, estimate_micros, estimate_tokens, rule_id, rule_name, rule, shadow,
                      required_approvals, approval_timeout_seconds, completion_timeout_seconds, expires_at, message,
                      task_id, correlation_id, request_id, decided_at, created_at, updated_at,
                      spend_day, spend_scopes, spend_periods, spend_slots)
  VALUES (p_id, p_workspace, p_identity, p_credential, p_class, p_action, p_status, p_summary, p_resource,
          p_arguments, p_arguments_sha256, p_estimate_micros, p_estimate_tokens, p_rule_id, p_rule_name, p_rule, p_shadow,
          p_required_approvals, p_approval_timeout, p_completion_timeout, p_expires_at, p_message,
          p_task, p_correlation_id, p_request_id, CASE WHEN p_status = 'pending_approval' THEN NULL ELSE p_now END,
          p_now, p_now, p_spend_day, p_spend_scopes, p_spend_periods, p_spend_slots);
  PERFORM audit_insert(p_workspace, 'identity', p_identity, p_identity_name, 'action.requested',
                       CASE WHEN p_status = 'denied' THEN 'denied' ELSE 'success' END::audit_outcome,
                       NULL, p_id, p_reason, p_correlation_id, p_request_id, p_audit_details);
END;
$$;
