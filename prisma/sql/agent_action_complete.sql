-- POST /actions/{id}/complete for a key this process has recently loaded (lib/server/agent-api/
-- action-handlers.ts `completeActionExpress`), the first statement of its transaction: checks that
-- the principal is unchanged (principal_stamp), claims the Idempotency-Key, and settles the action
-- (action_settle) — only an action still `allowed`, of the caller's class, whose rule sets no
-- maximum estimate (an actual above it opens an escalation: the general path's work). The caller
-- then writes the audit event and stores the answer in the same transaction. No row, or BKV01
-- (which rolls back the claim), leaves the call to the general path, which decides and explains.
-- Settling is counted against no budget, so nothing is taken here.
CREATE OR REPLACE FUNCTION "agent_action_complete"(
  p_key_hash TEXT, p_stamp TEXT, p_now TIMESTAMPTZ, p_id TEXT, p_outcome "action_status",
  p_actual_micros BIGINT, p_actual_tokens BIGINT, p_result JSONB, p_error JSONB,
  p_idempotency_key TEXT, p_fingerprint TEXT, p_idempotency_expires TIMESTAMPTZ
) RETURNS TABLE ("settled" JSONB, "identity_id" TEXT, "key_last_used_at" TIMESTAMPTZ)
LANGUAGE plpgsql AS $$
DECLARE
  p RECORD;
  done JSONB;
BEGIN
  SELECT c.id, c.last_used_at, i.id AS identity_id, i.workflow_class_id, w.id AS workspace_id
  INTO p
  FROM credential c
  JOIN identity i ON i.id = c.identity_id
  JOIN workspace w ON w.id = c.workspace_id
  WHERE c.key_hash = p_key_hash AND principal_stamp(c, i, w) = p_stamp;
  IF p.id IS NULL THEN
    RETURN;
  END IF;
  IF EXISTS (SELECT 1 FROM action a WHERE a.id = p_id
             AND COALESCE(a.rule -> 'maxEstimateUsd', 'null'::jsonb) <> 'null'::jsonb) THEN
    RETURN;
  END IF;
  IF p_idempotency_key IS NOT NULL
     AND NOT idempotency_claim(p.identity_id, p_idempotency_key, p_fingerprint, p_now, p_idempotency_expires) THEN
    RETURN;
  END IF;
  done := action_settle(p_id, p.workspace_id, p.workflow_class_id, p_outcome, p_actual_micros, p_actual_tokens,
                        p_result, p_error, p_now);
  IF done IS NULL THEN
    RAISE EXCEPTION 'the completion is left to the general path' USING ERRCODE = 'BKV01';
  END IF;
  RETURN QUERY SELECT done, p.identity_id, p.last_used_at;
END;
$$;
