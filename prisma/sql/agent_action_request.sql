-- POST /actions as one statement, for the common case — an `allow` rule without a rate limit and no
-- task — for a key this process has recently loaded (lib/server/agent-api/action-handlers.ts
-- `requestActionExpress`). TypeScript has already decided everything, from the remembered principal
-- and the rules remembered at the principal's rules version: the grant-free admission, the rule's
-- decision (lib/core/action-rules.ts), the status and deadline (lib/core/actions.ts), the answer's
-- body. This statement checks that the principal — its stamp covers the rules' version — is
-- unchanged, then does all of the call or nothing, as agent_kv_put does: the Idempotency-Key
-- claimed, the estimate reserved in every limited spend budget (spend_reserve), the action and its audit
-- event (action_insert), the budget units, the response stored. A reservation that does not fit, or
-- leaves a spend budget at or past its degrade threshold (p_spend_normal_below[i]), is the general
-- path's to refuse or to note.
-- No row (or BKV01, which rolls it back) leaves the call to the general path, which decides and explains.
CREATE OR REPLACE FUNCTION "agent_action_request"(
  p_key_hash TEXT, p_stamp TEXT, p_now TIMESTAMPTZ, p_day DATE, p_normal_below BIGINT,
  p_start INTEGER, p_workspace_slots INTEGER, p_credential_slots INTEGER,
  p_id TEXT, p_action TEXT, p_summary TEXT, p_resource TEXT, p_arguments JSONB, p_arguments_sha256 TEXT,
  p_estimate_micros BIGINT, p_estimate_tokens BIGINT, p_rule_id TEXT, p_rule_name TEXT, p_rule JSONB, p_shadow JSONB,
  p_required_approvals INTEGER, p_approval_timeout INTEGER, p_completion_timeout INTEGER, p_expires_at TIMESTAMPTZ,
  p_correlation_id TEXT, p_request_id TEXT, p_reason TEXT, p_audit_details JSONB, p_response TEXT,
  p_idempotency_key TEXT, p_fingerprint TEXT, p_idempotency_expires TIMESTAMPTZ,
  p_spend_day DATE, p_spend_scopes TEXT[], p_spend_periods DATE[], p_spend_amounts BIGINT[], p_spend_caps BIGINT[],
  p_spend_normal_below BIGINT[], p_spend_slots INTEGER
) RETURNS TABLE ("response" TEXT, "key_last_used_at" TIMESTAMPTZ, "requests_used" BIGINT)
LANGUAGE plpgsql AS $$
DECLARE
  p RECORD;
  total BIGINT;
  spend RECORD;
BEGIN
  SELECT c.id, c.daily_write_ceiling, c.last_used_at, i.id AS identity_id, i.name AS identity_name,
         i.workflow_class_id, w.id AS workspace_id
  INTO p
  FROM credential c
  JOIN identity i ON i.id = c.identity_id
  JOIN workspace w ON w.id = c.workspace_id
  WHERE c.key_hash = p_key_hash AND principal_stamp(c, i, w) = p_stamp
  -- The workspace's row shared, as the action's foreign key would: a change of spend limits locks it
  -- first (lib/server/budgets/spend-limits.ts), so this waits for one in progress and then sees its
  -- stamp changed — the limits p_spend_* were decided by are the limits in force.
  FOR KEY SHARE OF w;
  IF p.id IS NULL THEN
    RETURN;
  END IF;
  IF p.daily_write_ceiling IS NOT NULL
     AND NOT EXISTS (SELECT 1 FROM usage_slot s WHERE s.scope_id = p.id AND s.day = p_day AND s.used < s.cap) THEN
    RETURN;
  END IF;
  IF p_idempotency_key IS NOT NULL
     AND NOT idempotency_claim(p.identity_id, p_idempotency_key, p_fingerprint, p_now, p_idempotency_expires) THEN
    RETURN;
  END IF;
  SELECT * INTO spend FROM spend_reserve(p_spend_scopes, p_spend_periods, p_spend_amounts, p_spend_caps, p_start,
                                        p_spend_slots);
  IF spend.refused IS NOT NULL OR EXISTS (
       SELECT 1 FROM unnest(spend.totals, p_spend_normal_below) AS t(total, below) WHERE t.total >= t.below) THEN
    RAISE EXCEPTION 'the action request is left to the general path' USING ERRCODE = 'BKV01';
  END IF;
  PERFORM action_insert(p_id, p.workspace_id, p.identity_id, p.identity_name, p.id, p.workflow_class_id,
                        p_action, 'allowed', p_summary, p_resource, p_arguments, p_arguments_sha256,
                        p_estimate_micros, p_estimate_tokens, p_rule_id, p_rule_name, p_rule, p_shadow,
                        p_required_approvals, p_approval_timeout, p_completion_timeout, p_expires_at, NULL, NULL,
                        p_correlation_id, p_request_id, p_now, p_reason, p_audit_details,
                        p_spend_day, p_spend_scopes, p_spend_periods, spend.slots);
  IF budget_take_free(p.workspace_id, p_day, p_start % p_workspace_slots, p_workspace_slots, 1) IS NULL
     OR budget_take_free(p.id, p_day, p_start % p_credential_slots, p_credential_slots, 1) IS NULL THEN
    RAISE EXCEPTION 'the action request is left to the general path' USING ERRCODE = 'BKV01';
  END IF;
  IF p_normal_below IS NOT NULL THEN
    total := (SELECT sum(s.used) FROM usage_slot s WHERE s.scope_id = p.workspace_id AND s.day = p_day);
    IF total >= p_normal_below THEN
      RAISE EXCEPTION 'the action request is left to the general path' USING ERRCODE = 'BKV01';
    END IF;
  END IF;
  IF p_idempotency_key IS NOT NULL THEN
    PERFORM idempotency_store(p.identity_id, p_idempotency_key, 201, p_response,
                              jsonb_build_object('X-Request-Id', p_request_id));
  END IF;
  RETURN QUERY SELECT p_response, p.last_used_at, total;
END;
$$;
