-- Adds an amount (negative: gives it back) to one slot if the slot stays within its cap, waiting
-- for the slot's lock if another transaction holds it. False when it would not fit — and then the
-- slot's lock is let go again (the UPDATE runs in a subtransaction, rolled back): the caller goes
-- on to budget_lay_out, which must not hold any slot of the scope when it locks them all in order.
CREATE OR REPLACE FUNCTION "budget_add"(p_scope TEXT, p_day DATE, p_slot INTEGER, p_amount BIGINT)
RETURNS BOOLEAN LANGUAGE plpgsql AS $$
DECLARE
  added INTEGER;
BEGIN
  BEGIN
    UPDATE usage_slot u SET used = u.used + p_amount
    WHERE u.scope_id = p_scope AND u.day = p_day AND u.slot = p_slot AND u.used + p_amount <= u.cap
      AND u.used + p_amount >= 0
    RETURNING u.slot INTO added;
    IF added IS NULL THEN
      RAISE EXCEPTION 'no room' USING ERRCODE = 'BKV02';
    END IF;
    RETURN true;
  EXCEPTION WHEN SQLSTATE 'BKV02' THEN
    RETURN false;
  END;
END;
$$;
