-- An amount of one scope's period for the general path, with the scope's total after it:
-- budget_take_free takes it; a scope's first call of the period lays out its slots first, with the
-- caps the caller computed (lib/core/budget.ts `slotCaps`). No row when the amount does not fit.
CREATE OR REPLACE FUNCTION "budget_take_one"(p_scope TEXT, p_day DATE, p_caps BIGINT[], p_start INTEGER,
                                             p_amount BIGINT)
RETURNS TABLE ("slot" INTEGER, "total" BIGINT) LANGUAGE plpgsql AS $$
DECLARE
  n INTEGER := array_length(p_caps, 1);
  taken INTEGER;
BEGIN
  taken := budget_take_free(p_scope, p_day, p_start % n, n, p_amount);
  IF taken IS NULL THEN
    IF NOT EXISTS (SELECT 1 FROM usage_slot s WHERE s.scope_id = p_scope AND s.day = p_day) THEN
      INSERT INTO usage_slot (scope_id, day, slot, cap)
      SELECT p_scope, p_day, o.i - 1, o.cap FROM unnest(p_caps) WITH ORDINALITY AS o(cap, i)
      ON CONFLICT DO NOTHING;
    END IF;
    -- Again even when the slots were there by now: the day's first calls race, and a call whose
    -- first try saw no slot may find them committed by another before it looked for them — refusing
    -- it then refused the day's first calls with a budget a million units wide (seen in the crash proof).
    taken := budget_take_free(p_scope, p_day, p_start % n, n, p_amount);
  END IF;
  IF taken IS NOT NULL THEN
    RETURN QUERY SELECT taken, (SELECT sum(x.used) FROM usage_slot x WHERE x.scope_id = p_scope AND x.day = p_day)::BIGINT;
  END IF;
END;
$$;
