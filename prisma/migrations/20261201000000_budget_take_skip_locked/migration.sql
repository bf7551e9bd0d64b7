-- The one-statement PUT's budget unit without waiting on another call's slot,
-- and without reading every slot to find one.
--
-- A slot's row lock lasts until its transaction commits (the WAL flush), and
-- the guarded write takes its units last. Measured under 32 concurrent writers
-- on 16 slots (pg_stat_statements, nested statements): the two unit-taking
-- UPDATEs spent 0.47 ms each of the write's 1.64 ms, almost all of it waiting
-- for a slot another call had locked while a free one stood next to it.
--
-- Now the first choice is the first slot from p_start on (wrapping around)
-- that has room and is not locked (FOR UPDATE SKIP LOCKED), read in index
-- order, so usually one row (choosing it by sorting, as the fallback below
-- does, reads all of a scope's slots — rows that their constant HOT updates
-- spread over about as many heap pages as there are slots). The lock is taken on the slot's latest version and
-- its room rechecked there, so the UPDATE that follows, in the same
-- transaction, cannot overfill it: accepted calls still never exceed the caps.
-- Only when every slot with room is locked does it wait, as before, on the slot
-- at p_start, then on the first with room — so a nearly spent budget is still
-- used to its last unit, not refused because its slots were busy.
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
