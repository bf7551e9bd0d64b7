-- One call's budget in one statement: a unit of the workspace's daily requests
-- and, for a write, a unit of the key's daily writes — both or neither.
--
-- A unit is taken by incrementing a counter slot still below its cap (see
-- lib/core/budget.ts): a slot filled by someone else between choosing and
-- locking fails the recheck and another is tried; a scope's first call of the
-- day lays out its slots. Row locks last only this statement.

CREATE FUNCTION "budget_take_one"(p_scope TEXT, p_day DATE, p_caps INTEGER[], p_start INTEGER)
RETURNS TABLE ("slot" INTEGER, "total" BIGINT) LANGUAGE plpgsql AS $$
DECLARE
  n INTEGER := array_length(p_caps, 1);
  taken INTEGER;
BEGIN
  FOR attempt IN 0..n LOOP
    UPDATE usage_slot u SET used = u.used + 1
    WHERE u.scope_id = p_scope AND u.day = p_day AND u.used < u.cap
      AND u.slot = (SELECT s.slot FROM usage_slot s
                    WHERE s.scope_id = p_scope AND s.day = p_day AND s.used < s.cap
                    ORDER BY ((s.slot - p_start) % n + n) % n LIMIT 1)
    RETURNING u.slot INTO taken;
    IF taken IS NOT NULL THEN
      RETURN QUERY SELECT taken, (SELECT sum(x.used) FROM usage_slot x WHERE x.scope_id = p_scope AND x.day = p_day);
      RETURN;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM usage_slot s WHERE s.scope_id = p_scope AND s.day = p_day) THEN
      INSERT INTO usage_slot (scope_id, day, slot, cap)
      SELECT p_scope, p_day, o.i - 1, o.cap FROM unnest(p_caps) WITH ORDINALITY AS o(cap, i)
      ON CONFLICT DO NOTHING;
    ELSIF NOT EXISTS (SELECT 1 FROM usage_slot s WHERE s.scope_id = p_scope AND s.day = p_day AND s.used < s.cap) THEN
      RETURN; -- every slot is at its cap
    END IF;
  END LOOP;
  RETURN;
END;
$$;

-- `refused` is null (taken), 'requests' (the workspace's limit) or 'writes'
-- (the key's ceiling; the workspace's unit is then given back).
--
-- A write call's counters commit asynchronously: the write's own transaction
-- commits synchronously afterwards, and WAL is flushed in order, so a counter
-- that an acknowledged write depends on is always durable.
CREATE FUNCTION "budget_take"(p_day DATE, p_workspace TEXT, p_workspace_caps INTEGER[],
                              p_credential TEXT, p_credential_caps INTEGER[], p_start INTEGER)
RETURNS TABLE ("refused" TEXT, "workspace_slot" INTEGER, "workspace_total" BIGINT,
               "credential_slot" INTEGER, "credential_total" BIGINT) LANGUAGE plpgsql AS $$
DECLARE
  ws RECORD;
  cr RECORD;
BEGIN
  SELECT * INTO ws FROM budget_take_one(p_workspace, p_day, p_workspace_caps, p_start);
  IF ws.slot IS NULL THEN
    RETURN QUERY SELECT 'requests'::TEXT, NULL::INTEGER, NULL::BIGINT, NULL::INTEGER, NULL::BIGINT;
    RETURN;
  END IF;
  IF p_credential IS NULL THEN
    RETURN QUERY SELECT NULL::TEXT, ws.slot, ws.total, NULL::INTEGER, NULL::BIGINT;
    RETURN;
  END IF;
  PERFORM set_config('synchronous_commit', 'off', true);
  SELECT * INTO cr FROM budget_take_one(p_credential, p_day, p_credential_caps, p_start);
  IF cr.slot IS NULL THEN
    UPDATE usage_slot SET used = used - 1 WHERE scope_id = p_workspace AND day = p_day AND slot = ws.slot;
    RETURN QUERY SELECT 'writes'::TEXT, NULL::INTEGER, ws.total - 1, NULL::INTEGER, NULL::BIGINT;
    RETURN;
  END IF;
  RETURN QUERY SELECT NULL::TEXT, ws.slot, ws.total, cr.slot, cr.total;
END;
$$;
