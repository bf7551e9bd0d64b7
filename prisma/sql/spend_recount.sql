-- A spend budget's counters for a period, counted afresh when its limit is set (lib/server/budgets/
-- spend-limits.ts). Reservations skip budgets without a limit, so what the period has spent and
-- holds reserved so far is read from its actions; the caller holds the workspace's row FOR UPDATE,
-- which every reservation shares (FOR KEY SHARE) — none runs meanwhile, and none decided on the old
-- limit commits after. In this order, so that no settlement is lost and none deadlocks with it:
--   1. the period's open actions of the budget's owner (pending approval or allowed) are adopted:
--      recorded as reserved in this budget, slot 0 (a settlement in progress is waited for, and an
--      action it finished is not adopted); from now on they settle here (action_spend_settle);
--   2. the period's counters go (rows no other transaction can be settling into now);
--   3. the total is what the period's actions spent and hold (action_spent + action_reserved);
--   4. the counters are laid out under the limit (p_caps, lib/core/spend.ts), the total on slot 0
--      (budget_lay_out: room left only while the total is under the limit).
-- p_owner: 'workspace', 'class' or 'credential', p_owner_id its id; p_tokens: the budget counts
-- tokens, not micro-dollars; the period runs from p_period to p_last (a day, or a month).
CREATE OR REPLACE FUNCTION "spend_recount"(p_scope TEXT, p_period DATE, p_last DATE, p_limit BIGINT, p_caps BIGINT[],
                                           p_workspace TEXT, p_owner TEXT, p_owner_id TEXT, p_tokens BOOLEAN)
RETURNS BIGINT LANGUAGE plpgsql AS $$
DECLARE
  total BIGINT;
BEGIN
  UPDATE action a SET spend_slots[array_position(a.spend_scopes, p_scope)] = 0
  WHERE a.workspace_id = p_workspace AND a.spend_day BETWEEN p_period AND p_last
    AND a.status IN ('pending_approval', 'allowed')
    AND (p_owner = 'workspace' OR (p_owner = 'class' AND a.workflow_class_id = p_owner_id)
         OR (p_owner = 'credential' AND a.credential_id = p_owner_id))
    AND p_scope = ANY (a.spend_scopes);
  UPDATE action a
  SET spend_scopes = a.spend_scopes || p_scope, spend_periods = a.spend_periods || p_period,
      spend_slots = a.spend_slots || 0
  WHERE a.workspace_id = p_workspace AND a.spend_day BETWEEN p_period AND p_last
    AND a.status IN ('pending_approval', 'allowed')
    AND (p_owner = 'workspace' OR (p_owner = 'class' AND a.workflow_class_id = p_owner_id)
         OR (p_owner = 'credential' AND a.credential_id = p_owner_id))
    AND NOT (p_scope = ANY (a.spend_scopes));

  DELETE FROM usage_slot WHERE scope_id = p_scope AND day = p_period;

  SELECT COALESCE(sum(
           CASE WHEN p_tokens
             THEN action_spent(a.status, a.estimate_tokens, a.actual_tokens) + action_reserved(a.status, a.estimate_tokens)
             ELSE action_spent(a.status, a.estimate_micros, a.actual_micros) + action_reserved(a.status, a.estimate_micros)
           END), 0)
  INTO total
  FROM action a
  WHERE a.workspace_id = p_workspace AND a.spend_day BETWEEN p_period AND p_last
    AND (p_owner = 'workspace' OR (p_owner = 'class' AND a.workflow_class_id = p_owner_id)
         OR (p_owner = 'credential' AND a.credential_id = p_owner_id));

  INSERT INTO usage_slot (scope_id, day, slot, cap)
  SELECT p_scope, p_period, o.i - 1, o.cap FROM unnest(p_caps) WITH ORDINALITY AS o(cap, i);
  PERFORM budget_lay_out(p_scope, p_period, p_limit, 0, total, true);
  RETURN total;
END;
$$;
