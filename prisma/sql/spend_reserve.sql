-- An action's estimate reserved in every spend budget that applies, all or none (API.md "Spend
-- budgets"): p_scopes[i] in the lock order lib/core/spend.ts lists them in, its period p_periods[i]
-- (the day, or the month's first day), its amount p_amounts[i] (micro-dollars or tokens; 0 without
-- an estimate) and its caps p_caps[(i-1)*p_slots+1 : i*p_slots] for a period not laid out yet.
-- Each is taken like any budget amount (budget_take_one → budget_take_free). Returns the slot and
-- the total after it of each scope — or, when one does not fit, its position (refused) and its total,
-- with what was taken in the scopes before it given back. The caller decides degradation and
-- answers from the totals (lib/core/spend.ts); both paths call it in the transaction that inserts
-- the action (action_insert stores the slots, for action_spend_settle).
CREATE OR REPLACE FUNCTION "spend_reserve"(p_scopes TEXT[], p_periods DATE[], p_amounts BIGINT[], p_caps BIGINT[],
                                           p_start INTEGER, p_slots INTEGER)
RETURNS TABLE ("refused" INTEGER, "slots" INTEGER[], "totals" BIGINT[]) LANGUAGE plpgsql AS $$
DECLARE
  t RECORD;
  taken INTEGER[] := '{}';
  sums BIGINT[] := '{}';
BEGIN
  FOR i IN 1 .. COALESCE(array_length(p_scopes, 1), 0) LOOP
    SELECT * INTO t FROM budget_take_one(p_scopes[i], p_periods[i], p_caps[(i - 1) * p_slots + 1 : i * p_slots],
                                         p_start, p_amounts[i]);
    IF t.slot IS NULL THEN
      FOR j IN 1 .. i - 1 LOOP
        PERFORM budget_add(p_scopes[j], p_periods[j], taken[j], -p_amounts[j]);
      END LOOP;
      RETURN QUERY SELECT i, taken, sums || (SELECT COALESCE(sum(s.used), 0) FROM usage_slot s
                                             WHERE s.scope_id = p_scopes[i] AND s.day = p_periods[i])::BIGINT;
      RETURN;
    END IF;
    taken := taken || t.slot;
    sums := sums || t.total;
  END LOOP;
  RETURN QUERY SELECT NULL::INTEGER, taken, sums;
END;
$$;
