-- What an action holds reserved of a budget (micro-dollars or tokens): its estimate while it is
-- pending approval or allowed, nothing once it is final (action_spent says what it spent then).
CREATE OR REPLACE FUNCTION "action_reserved"(p_status "action_status", p_estimate BIGINT)
RETURNS BIGINT LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE WHEN p_status IN ('allowed', 'pending_approval') THEN COALESCE(p_estimate, 0) ELSE 0 END
$$;
