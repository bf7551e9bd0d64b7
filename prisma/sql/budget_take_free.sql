-- One unit of a scope's day (a workspace's requests, a key's writes): the one algorithm that takes
-- a budget unit. Counters are split over slots (lib/core/budget.ts); a unit is an increment of a
-- slot still below its cap, so accepted calls never exceed the caps. Returns the slot, or null
-- when every slot is at its cap (or none is laid out yet: budget_take_one lays them out).
--
-- A slot's row lock lasts until its transaction commits, so the first choice is the first slot
-- from p_start on (wrapping around) that has room and is not locked (FOR UPDATE SKIP LOCKED),
-- read in index order — usually one row. The lock is taken on the slot's latest version and its
-- room rechecked there, so the UPDATE that follows cannot overfill it. Only when every slot with
-- room is locked does it wait, on the slot at p_start, then on the first with room — so a nearly
-- spent budget is still used to its last unit, not refused because its slots were busy.
-- (Measured under 32 writers on 16 slots: choosing without SKIP LOCKED spent 0.47 ms of a
-- write's 1.64 ms in PostgreSQL waiting for a slot another call held.)
CREATE OR REPLACE FUNCTION "budget_take_free"(p_scope TEXT, p_day DATE, p_start INTEGER, p_slots INTEGER)
RETURNS INTEGER LANGUAGE plpgsql AS $$
DECLARE
  free INTEGER;
  taken INTEGER;
BEGIN
  SELECT s.slot INTO free FROM usage_slot s
  WHERE s.scope_id = p_scope AND s.day = p_day AND s.slot >= p_start AND s.used < s.cap
  ORDER BY s.slot LIMIT 1
  FOR UPDATE SKIP LOCKED;
  IF free IS NULL THEN
    SELECT s.slot INTO free FROM usage_slot s
    WHERE s.scope_id = p_scope AND s.day = p_day AND s.slot < p_start AND s.used < s.cap
    ORDER BY s.slot LIMIT 1
    FOR UPDATE SKIP LOCKED;
  END IF;
  IF free IS NOT NULL THEN
    UPDATE usage_slot u SET used = u.used + 1
    WHERE u.scope_id = p_scope AND u.day = p_day AND u.slot = free AND u.used < u.cap
    RETURNING u.slot INTO taken;
    IF taken IS NOT NULL THEN
      RETURN taken;
    END IF;
  END IF;

  UPDATE usage_slot u SET used = u.used + 1
  WHERE u.scope_id = p_scope AND u.day = p_day AND u.slot = p_start AND u.used < u.cap
  RETURNING u.slot INTO taken;
  IF taken IS NULL THEN
    UPDATE usage_slot u SET used = u.used + 1
    WHERE u.scope_id = p_scope AND u.day = p_day AND u.used < u.cap
      AND u.slot = (SELECT s.slot FROM usage_slot s
                    WHERE s.scope_id = p_scope AND s.day = p_day AND s.used < s.cap
                    ORDER BY ((s.slot - p_start) % p_slots + p_slots) % p_slots LIMIT 1)
    RETURNING u.slot INTO taken;
  END IF;
  RETURN taken;
END;
$$;
