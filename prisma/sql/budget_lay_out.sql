-- Lays out a scope's period's caps again, under the lock of all its slots (taken in slot order, so
-- two such calls never deadlock): each slot keeps what it has used and the room left under the
-- limit is shared out, so the caps still add up to the limit and what can still be taken is exactly
-- limit − used. The room goes evenly to as many slots as can each hold one more amount the size of
-- p_amount (all of them for a new limit or a settlement), so that near the limit the next
-- reservations of that size find a slot with room for them instead of all coming here, one at a
-- time. Past the limit (an overrun charged in full), no slot has room: the caps are the used
-- amounts, filled in slot order up to the limit.
--   p_limit: the new limit (a changed limit applies to the rest of the period at once), or null to
--            keep the current one (the caps' sum);
--   p_amount: added to slot p_slot first — refused (false, nothing changed) when it does not fit
--            under the limit, unless p_force (a settlement: money already spent is always counted).
-- The general path's take of an amount no single slot has room for (budget_take_free), a changed
-- limit (lib/server/budgets/counters.ts `resize`), and a settlement that leaves a slot past its cap
-- (action_spend_settle) all come here.
CREATE OR REPLACE FUNCTION "budget_lay_out"(p_scope TEXT, p_day DATE, p_limit BIGINT, p_slot INTEGER,
                                            p_amount BIGINT, p_force BOOLEAN)
RETURNS BOOLEAN LANGUAGE plpgsql AS $$
DECLARE
  n INTEGER;
  lim BIGINT;
  spent BIGINT;
  room BIGINT;
  k INTEGER;
BEGIN
  PERFORM 1 FROM usage_slot s WHERE s.scope_id = p_scope AND s.day = p_day ORDER BY s.slot FOR UPDATE;
  SELECT count(*), sum(s.cap), sum(s.used) INTO n, lim, spent
  FROM usage_slot s WHERE s.scope_id = p_scope AND s.day = p_day;
  IF n = 0 THEN
    RETURN false;
  END IF;
  lim := COALESCE(p_limit, lim);
  IF NOT p_force AND spent + p_amount > lim THEN
    RETURN false;
  END IF;
  IF p_amount <> 0 THEN
    UPDATE usage_slot u SET used = u.used + p_amount
    WHERE u.scope_id = p_scope AND u.day = p_day AND u.slot = p_slot;
    spent := spent + p_amount;
  END IF;
  IF spent <= lim THEN
    room := lim - spent;
    k := CASE WHEN p_amount > 0 THEN LEAST(n, GREATEST(1, room / p_amount)) ELSE n END;
    UPDATE usage_slot u
    SET cap = u.used + CASE WHEN r.rank < k THEN room / k + CASE WHEN r.rank < room % k THEN 1 ELSE 0 END ELSE 0 END
    FROM (SELECT s.slot, row_number() OVER (ORDER BY s.slot) - 1 AS rank
          FROM usage_slot s WHERE s.scope_id = p_scope AND s.day = p_day) r
    WHERE u.scope_id = p_scope AND u.day = p_day AND u.slot = r.slot;
  ELSE
    UPDATE usage_slot u SET cap = LEAST(u.used, GREATEST(0, lim - r.before))
    FROM (SELECT s.slot, COALESCE(sum(s.used) OVER (ORDER BY s.slot ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0)
                 AS before
          FROM usage_slot s WHERE s.scope_id = p_scope AND s.day = p_day) r
    WHERE u.scope_id = p_scope AND u.day = p_day AND u.slot = r.slot;
  END IF;
  RETURN true;
END;
$$;
