-- An amount added to the first slot of a scope's period, from p_start on (wrapping around), that has
-- room for it and that no other transaction holds (FOR UPDATE SKIP LOCKED): it waits for nothing.
-- Read in index order — usually one row. The lock is taken on the slot's latest version and its room
-- rechecked there, so the UPDATE that follows cannot overfill it. Returns the slot, or null. (A row
-- locked and then found full on its latest version stays locked: budget_take_free runs this in a
-- subtransaction when it may go on to wait for the scope's other slots.)
CREATE OR REPLACE FUNCTION "budget_take_unheld"(p_scope TEXT, p_day DATE, p_start INTEGER, p_amount BIGINT)
RETURNS INTEGER LANGUAGE plpgsql AS $$
DECLARE
  free INTEGER;
  taken INTEGER;
BEGIN
  SELECT s.slot INTO free FROM usage_slot s
  WHERE s.scope_id = p_scope AND s.day = p_day AND s.slot >= p_start AND s.used + p_amount <= s.cap
  ORDER BY s.slot LIMIT 1
  FOR UPDATE SKIP LOCKED;
  IF free IS NULL THEN
    SELECT s.slot INTO free FROM usage_slot s
    WHERE s.scope_id = p_scope AND s.day = p_day AND s.slot < p_start AND s.used + p_amount <= s.cap
    ORDER BY s.slot LIMIT 1
    FOR UPDATE SKIP LOCKED;
  END IF;
  IF free IS NOT NULL THEN
    UPDATE usage_slot u SET used = u.used + p_amount
    WHERE u.scope_id = p_scope AND u.day = p_day AND u.slot = free AND u.used + p_amount <= u.cap
    RETURNING u.slot INTO taken;
  END IF;
  RETURN taken;
END;
$$;
