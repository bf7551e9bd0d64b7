-- An action's reservation settled when it leaves `allowed` or `pending_approval` (API.md "Spend
-- budgets"), by whichever path changes its status — complete, cancel, a decision, a deadline — in
-- the same transaction: the estimate is exchanged for what action_spent says it spent (succeeded or
-- failed: the actual, an overrun charged in full; timed out: the estimate; rejected, expired or
-- cancelled: nothing, the reservation released). Each reserved scope's own period and slot (spend_reserve, stored by
-- action_insert): a reservation is settled in the day and month it was taken. Never refused: the
-- amount goes to the action's slot when it fits there; otherwise — or while some slot is past its
-- cap after an overrun — budget_lay_out counts it under the scope's lock and lays the caps out again,
-- so that room is left only while the total is under the limit.
CREATE OR REPLACE FUNCTION "action_spend_settle"() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  tokens BOOLEAN;
  estimate BIGINT;
  delta BIGINT;
BEGIN
  FOR i IN 1 .. COALESCE(array_length(NEW.spend_scopes, 1), 0) LOOP
    tokens := NEW.spend_scopes[i] LIKE '%:tokens';
    estimate := COALESCE(CASE WHEN tokens THEN OLD.estimate_tokens ELSE OLD.estimate_micros END, 0);
    delta := action_spent(NEW.status, estimate, CASE WHEN tokens THEN NEW.actual_tokens ELSE NEW.actual_micros END)
             - estimate;
    CONTINUE WHEN delta = 0;
    IF EXISTS (SELECT 1 FROM usage_slot s WHERE s.scope_id = NEW.spend_scopes[i] AND s.day = NEW.spend_periods[i]
               AND s.used > s.cap)
       OR NOT budget_add(NEW.spend_scopes[i], NEW.spend_periods[i], NEW.spend_slots[i], delta) THEN
      PERFORM budget_lay_out(NEW.spend_scopes[i], NEW.spend_periods[i], NULL, NEW.spend_slots[i], delta, true);
    END IF;
  END LOOP;
  RETURN NULL;
END;
$$;
CREATE OR REPLACE TRIGGER "action_spend_settle" AFTER UPDATE OF "status" ON "action"
  FOR EACH ROW
  WHEN (OLD.status IN ('allowed', 'pending_approval') AND NEW.status NOT IN ('allowed', 'pending_approval')
        AND cardinality(NEW.spend_scopes) > 0)
  EXECUTE FUNCTION "action_spend_settle"();
