-- An action's estimate reserved in every spend budget that applies, all or none (API.md "Spend
-- budgets"): p_scopes[i] in the lock order lib/core/spend.ts lists them in, its period p_periods[i]
-- (the day, or the month's first day), its amount p_amounts[i] (micro-dollars or tokens; 0 without
-- an estimate), whether it has a limit (p_limited[i]) and its caps p_caps[(i-1)*p_slots+1 : i*p_slots]
-- for a period not laid out yet. Returns the slot of each scope and, for a limited one, its total
-- after the reservation — or, when one does not fit, its position (refused) and its total, having
-- taken nothing. The caller decides degradation from the totals (lib/core/spend.ts); both paths call
-- it in the transaction that inserts the action (action_insert stores the slots, for action_spend_settle).
--
-- The common case is one statement: each estimate into the first slot from p_start on that has room
-- for it and that no other transaction holds (FOR UPDATE SKIP LOCKED, so it waits for nothing), an
-- estimate of 0 only checked (its slot exists; a limited budget is not past its limit). It runs in a
-- subtransaction: if any budget is not served so, it is undone — its locks let go — and every budget
-- is taken one by one in lock order instead (budget_take_one: laying out a new period, waiting for a
-- busy slot, taking a large estimate from the total). Only that path waits, and it waits in order,
-- so two reservations never deadlock.
CREATE OR REPLACE FUNCTION "spend_reserve"(p_scopes TEXT[], p_periods DATE[], p_amounts BIGINT[], p_limited BOOLEAN[],
                                           p_caps BIGINT[], p_start INTEGER, p_slots INTEGER)
RETURNS TABLE ("refused" INTEGER, "slots" INTEGER[], "totals" BIGINT[]) LANGUAGE plpgsql AS $$
DECLARE
  n INTEGER := COALESCE(array_length(p_scopes, 1), 0);
  start INTEGER := p_start % p_slots;
  taken INTEGER[];
  sums BIGINT[] := array_fill(NULL::BIGINT, ARRAY[n]);
  t RECORD;
BEGIN
  BEGIN
    WITH wanted AS (
      SELECT v.scope, v.period, v.amount, v.i
      FROM unnest(p_scopes, p_periods, p_amounts) WITH ORDINALITY AS v(scope, period, amount, i)
    ), picked AS (
      SELECT w.i, w.scope, w.period, w.amount, c.slot
      FROM wanted w CROSS JOIN LATERAL (
        SELECT s.slot FROM usage_slot s
        WHERE s.scope_id = w.scope AND s.day = w.period AND s.used + w.amount <= s.cap
        ORDER BY (s.slot - start + p_slots) % p_slots LIMIT 1
        FOR UPDATE SKIP LOCKED) c
      WHERE w.amount > 0
    ), added AS (
      UPDATE usage_slot u SET used = u.used + p.amount
      FROM picked p
      WHERE u.scope_id = p.scope AND u.day = p.period AND u.slot = p.slot
      RETURNING p.i, u.slot
    )
    SELECT array_agg(COALESCE(a.slot, CASE WHEN w.amount = 0 AND EXISTS (
             SELECT 1 FROM usage_slot s WHERE s.scope_id = w.scope AND s.day = w.period AND s.slot = start)
           THEN start END) ORDER BY w.i)
    INTO taken
    FROM wanted w LEFT JOIN added a ON a.i = w.i;
    IF EXISTS (SELECT 1 FROM unnest(taken) AS s WHERE s IS NULL) THEN
      RAISE EXCEPTION 'not served in one statement' USING ERRCODE = 'BKV02';
    END IF;
    FOR i IN 1 .. n LOOP
      IF p_limited[i] THEN
        sums[i] := (SELECT sum(s.used) FROM usage_slot s WHERE s.scope_id = p_scopes[i] AND s.day = p_periods[i]);
        IF p_amounts[i] = 0 AND sums[i] > (SELECT sum(s.cap) FROM usage_slot s
                                           WHERE s.scope_id = p_scopes[i] AND s.day = p_periods[i]) THEN
          RAISE EXCEPTION 'past the limit' USING ERRCODE = 'BKV02';
        END IF;
      END IF;
    END LOOP;
    RETURN QUERY SELECT NULL::INTEGER, taken, sums;
    RETURN;
  EXCEPTION WHEN SQLSTATE 'BKV02' THEN
    NULL;
  END;

  taken := '{}';
  FOR i IN 1 .. n LOOP
    SELECT * INTO t FROM budget_take_one(p_scopes[i], p_periods[i], p_caps[(i - 1) * p_slots + 1 : i * p_slots],
                                         start, p_amounts[i]);
    IF t.slot IS NULL THEN
      FOR j IN 1 .. i - 1 LOOP
        PERFORM budget_add(p_scopes[j], p_periods[j], taken[j], -p_amounts[j]);
      END LOOP;
      sums[i] := (SELECT COALESCE(sum(s.used), 0) FROM usage_slot s WHERE s.scope_id = p_scopes[i] AND s.day = p_periods[i]);
      RETURN QUERY SELECT i, taken, sums;
      RETURN;
    END IF;
    taken := taken || t.slot;
    IF p_limited[i] THEN
      sums[i] := t.total;
    END IF;
  END LOOP;
  RETURN QUERY SELECT NULL::INTEGER, taken, sums;
END;
$$;
