-- Spend budgets (API.md "Spend budgets"): money and tokens reserved before an action, settled after.
-- One counter mechanism for every budget: usage_slot rows (no hot row), now in bigint so that a
-- slot can count micro-dollars ($1 000 000 000 = 10^15) as well as requests. Limits are integer
-- micro-dollars (USD) or tokens; null is unlimited.

ALTER TABLE "usage_slot" ALTER COLUMN "cap" TYPE BIGINT, ALTER COLUMN "used" TYPE BIGINT;

ALTER TABLE "workspace"
  ADD COLUMN "daily_usd_limit_micros" BIGINT CHECK ("daily_usd_limit_micros" >= 0),
  ADD COLUMN "monthly_usd_limit_micros" BIGINT CHECK ("monthly_usd_limit_micros" >= 0),
  ADD COLUMN "daily_token_limit" BIGINT CHECK ("daily_token_limit" >= 0);
ALTER TABLE "workflow_class" ADD COLUMN "daily_usd_limit_micros" BIGINT CHECK ("daily_usd_limit_micros" >= 0);
ALTER TABLE "credential" ADD COLUMN "daily_usd_limit_micros" BIGINT CHECK ("daily_usd_limit_micros" >= 0);

-- What an action reserved, so that its settlement (prisma/sql/action_spend_settle.sql) goes back to
-- the same counters — the day and month it was requested in, even after midnight:
-- spend_scopes[i] (e.g. 'ws_…:usd', 'ws_…:usd_month', 'ws_…:tokens', 'cls_…:usd', 'cred_…:usd'),
-- its period spend_periods[i] (the day, or the month's first day) and the slot spend_slots[i].
-- spend_day is the workspace's local day of the request: spend per day for the dashboard.
ALTER TABLE "action"
  ADD COLUMN "spend_day" DATE,
  ADD COLUMN "spend_scopes" TEXT[] NOT NULL DEFAULT '{}',
  ADD COLUMN "spend_periods" DATE[] NOT NULL DEFAULT '{}',
  ADD COLUMN "spend_slots" INTEGER[] NOT NULL DEFAULT '{}';
UPDATE "action" a SET "spend_day" = (a."created_at" AT TIME ZONE w."time_zone")::date
FROM "workspace" w WHERE w."id" = a."workspace_id";
ALTER TABLE "action" ALTER COLUMN "spend_day" SET NOT NULL;
CREATE INDEX "action_workspace_id_spend_day_idx" ON "action" ("workspace_id", "spend_day");

-- Signatures that change; their files (prisma/sql) create them anew.
DROP FUNCTION IF EXISTS "budget_take_free"(TEXT, DATE, INTEGER, INTEGER);
DROP FUNCTION IF EXISTS "budget_take_one"(TEXT, DATE, INTEGER[], INTEGER);
DROP FUNCTION IF EXISTS "budget_take"(DATE, TEXT, INTEGER[], TEXT, INTEGER[], INTEGER);
DROP FUNCTION IF EXISTS "action_insert"(TEXT, TEXT, TEXT, TEXT, TEXT, TEXT, TEXT, "action_status", TEXT, TEXT, JSONB, TEXT,
  BIGINT, BIGINT, TEXT, TEXT, JSONB, JSONB, INTEGER, INTEGER, INTEGER, TIMESTAMPTZ, TEXT, TEXT, TEXT, TEXT, TIMESTAMPTZ,
  TEXT, JSONB);
DROP FUNCTION IF EXISTS "agent_action_request"(TEXT, TEXT, TIMESTAMPTZ, DATE, BIGINT, INTEGER, INTEGER, INTEGER, TEXT, TEXT,
  TEXT, TEXT, JSONB, TEXT, BIGINT, BIGINT, TEXT, TEXT, JSONB, JSONB, INTEGER, INTEGER, INTEGER, TIMESTAMPTZ, TEXT, TEXT,
  TEXT, JSONB, TEXT, TEXT, TEXT, TIMESTAMPTZ);
