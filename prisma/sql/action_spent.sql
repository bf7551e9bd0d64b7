-- What an action has spent of a budget (micro-dollars or tokens), by its status: succeeded or
-- failed, its actual (default: the estimate); timed out, its estimate (the agent may have spent it);
-- otherwise nothing. The one definition of a settlement: action_spend_settle charges the budgets
-- by it, and every report of spend (GET /policy, the dashboard) sums it.
CREATE OR REPLACE FUNCTION "action_spent"(p_status "action_status", p_estimate BIGINT, p_actual BIGINT)
RETURNS BIGINT LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE
    WHEN p_status IN ('succeeded', 'failed') THEN COALESCE(p_actual, p_estimate, 0)
    WHEN p_status = 'timed_out' THEN COALESCE(p_estimate, 0)
    ELSE 0
  END
$$;
