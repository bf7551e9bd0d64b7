-- An allowed action's outcome, as the agent reports it (POST /actions/{id}/complete): the one UPDATE
-- of both paths — the general one (lib/server/actions/change-action.ts, after lib/core/actions.ts has
-- allowed the transition) and the one-statement one (agent_action_complete). Settles at the actual
-- (default: the estimate); an actual above the estimate, in USD or tokens, is an overrun (charged in
-- full). Only while the action is still `allowed` (the status the decision was taken on) and in the
-- caller's scope: no row otherwise. Returns the action's row as JSON, with its approvals.
CREATE OR REPLACE FUNCTION "action_settle"(
  p_id TEXT, p_workspace TEXT, p_class TEXT, p_outcome "action_status", p_actual_micros BIGINT,
  p_actual_tokens BIGINT, p_result JSONB, p_error JSONB, p_now TIMESTAMPTZ
) RETURNS JSONB LANGUAGE plpgsql AS $$
DECLARE
  settled JSONB;
BEGIN
  UPDATE action a
  SET status = p_outcome, expires_at = NULL,
      actual_micros = COALESCE(p_actual_micros, a.estimate_micros),
      actual_tokens = COALESCE(p_actual_tokens, a.estimate_tokens),
      overrun = COALESCE(COALESCE(p_actual_micros, a.estimate_micros) > COALESCE(a.estimate_micros, 0), false)
             OR COALESCE(COALESCE(p_actual_tokens, a.estimate_tokens) > COALESCE(a.estimate_tokens, 0), false),
      result = p_result, error = p_error, completed_at = p_now, updated_at = p_now
  WHERE a.id = p_id AND a.workspace_id = p_workspace AND (p_class IS NULL OR a.workflow_class_id = p_class)
    AND a.status = 'allowed'
  RETURNING to_jsonb(a.*) INTO settled;
  IF settled IS NULL THEN
    RETURN NULL;
  END IF;
  RETURN settled || jsonb_build_object('approvals', COALESCE((
    SELECT jsonb_agg(to_jsonb(ap.*) ORDER BY ap.id) FROM action_approval ap WHERE ap.action_id = p_id), '[]'::jsonb));
END;
$$;
