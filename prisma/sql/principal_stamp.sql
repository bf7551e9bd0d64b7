-- What the one-statement PUT decides a key's calls by, as one text: while the stamp is unchanged,
-- so is every decision taken from it. The general path loads a key with its stamp
-- (lib/server/agent-api/authenticate.ts) and decides in TypeScript — the key's validity
-- (lib/core/credential-policy.ts), its grants (lib/core/grants.ts), the budget's mode and
-- degrade threshold (lib/core/budget.ts), the workspace's day — and the process remembers the key
-- with that principal for a minute (lib/server/agent-api/route/known-keys.ts). agent_kv_put acts on the
-- remembered decisions only while the stamp in the database still equals the remembered one: a
-- revoked or re-dated key, a disabled or renamed identity, a changed grant, limit, threshold,
-- time zone or kill switch, a spend limit, or the action rules (action_rules_version: a class's
-- spend limit raises it too) changes it, and the call goes to the general path, which decides afresh.
-- Anything the express decisions come to depend on must be added here. (plpgsql, not SQL: a SQL
-- function that cannot be inlined is planned again on every call — 0.15 ms against 0.04 ms.)
CREATE OR REPLACE FUNCTION "principal_stamp"(c "credential", i "identity", w "workspace")
RETURNS TEXT LANGUAGE plpgsql STABLE AS $$
BEGIN
  RETURN md5(row(
    c.id, c.key_hash, extract(epoch FROM c.revoked_at), extract(epoch FROM c.expires_at), c.daily_write_ceiling,
    c.daily_usd_limit_micros,
    i.id, i.name, i.status,
    w.id, w.time_zone, w.daily_request_limit, w.degrade_at_percent, w.kill_switch, w.action_rules_version,
    w.daily_usd_limit_micros, w.monthly_usd_limit_micros, w.daily_token_limit,
    (SELECT string_agg(g.pattern || ' ' || g.access::text, ',' ORDER BY g.pattern, g.access)
       FROM identity_grant g WHERE g.identity_id = i.id)
  )::text);
END;
$$;
