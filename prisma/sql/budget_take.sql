-- The general path's budget for one call in one statement (lib/server/budgets/counters.ts `take`):
-- a unit of the workspace's daily requests and, for a write, a unit of the key's daily writes —
-- both or neither. Row locks last only this statement.
-- `refused` is null (taken), 'requests' (the workspace's limit) or 'writes'
-- (the key's ceiling; the workspace's unit is then given back).
--
-- A write call's counters commit asynchronously: the write's own transaction
-- commits synchronously afterwards, and WAL is flushed in order, so a counter
-- that an acknowledged write depends on is always durable.
CREATE OR REPLACE FUNCTION "budget_take"(p_day DATE, p_workspace TEXT, p_workspace_caps BIGINT[],
                              p_credential TEXT, p_credential_caps BIGINT[], p_start INTEGER)
RETURNS TABLE ("refused" TEXT, "workspace_slot" INTEGER, "workspace_total" BIGINT,
               "credential_slot" INTEGER, "credential_total" BIGINT) LANGUAGE plpgsql AS $$
DECLARE
  ws RECORD;
  cr RECORD;
BEGIN
  SELECT * INTO ws FROM budget_take_one(p_workspace, p_day, p_workspace_caps, p_start, 1);
  IF ws.slot IS NULL THEN
    RETURN QUERY SELECT 'requests'::TEXT, NULL::INTEGER, NULL::BIGINT, NULL::INTEGER, NULL::BIGINT;
    RETURN;
  END IF;
  IF p_credential IS NULL THEN
    RETURN QUERY SELECT NULL::TEXT, ws.slot, ws.total, NULL::INTEGER, NULL::BIGINT;
    RETURN;
  END IF;
  PERFORM set_config('synchronous_commit', 'off', true);
  SELECT * INTO cr FROM budget_take_one(p_credential, p_day, p_credential_caps, p_start, 1);
  IF cr.slot IS NULL THEN
    UPDATE usage_slot SET used = used - 1 WHERE scope_id = p_workspace AND day = p_day AND slot = ws.slot;
    RETURN QUERY SELECT 'writes'::TEXT, NULL::INTEGER, ws.total - 1, NULL::INTEGER, NULL::BIGINT;
    RETURN;
  END IF;
  RETURN QUERY SELECT NULL::TEXT, ws.slot, ws.total, cr.slot, cr.total;
END;
$$;
