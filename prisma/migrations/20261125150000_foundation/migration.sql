-- Foundation: workspaces, people and their roles, and the append-only audit trail.

CREATE TYPE "role" AS ENUM ('admin', 'operator', 'auditor', 'viewer');
CREATE TYPE "actor_type" AS ENUM ('user', 'identity', 'cli', 'system');
CREATE TYPE "audit_outcome" AS ENUM ('success', 'denied', 'conflict', 'error');

CREATE TABLE "workspace" (
  "id" TEXT NOT NULL PRIMARY KEY,
  "slug" TEXT NOT NULL,
  "name" TEXT NOT NULL,
  "time_zone" TEXT NOT NULL DEFAULT 'UTC',
  "daily_request_limit" INTEGER,
  "degrade_at_percent" INTEGER NOT NULL DEFAULT 80,
  "stop_message" TEXT,
  "kill_switch" BOOLEAN NOT NULL DEFAULT false,
  "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
  "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
  CONSTRAINT "workspace_slug_format" CHECK ("slug" ~ '^[a-z0-9][a-z0-9-]{0,62}$'),
  CONSTRAINT "workspace_daily_request_limit_positive" CHECK ("daily_request_limit" IS NULL OR "daily_request_limit" > 0),
  CONSTRAINT "workspace_degrade_at_percent_range" CHECK ("degrade_at_percent" BETWEEN 1 AND 100)
);
CREATE UNIQUE INDEX "workspace_slug_key" ON "workspace" ("slug");

CREATE TABLE "app_user" (
  "id" TEXT NOT NULL PRIMARY KEY,
  "email" TEXT NOT NULL,
  "name" TEXT,
  "password_hash" TEXT NOT NULL,
  "must_change_password" BOOLEAN NOT NULL DEFAULT false,
  "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
  "last_sign_in_at" TIMESTAMPTZ(3),
  -- Emails are stored lower-cased so that uniqueness and lockout match how people type them.
  CONSTRAINT "app_user_email_lowercase" CHECK ("email" = lower("email"))
);
CREATE UNIQUE INDEX "app_user_email_key" ON "app_user" ("email");

CREATE TABLE "membership" (
  "workspace_id" TEXT NOT NULL REFERENCES "workspace" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
  "user_id" TEXT NOT NULL REFERENCES "app_user" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
  "role" "role" NOT NULL,
  "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
  PRIMARY KEY ("workspace_id", "user_id")
);
CREATE INDEX "membership_user_id_idx" ON "membership" ("user_id");

CREATE TABLE "audit_event" (
  "id" BIGSERIAL NOT NULL PRIMARY KEY,
  "workspace_id" TEXT REFERENCES "workspace" ("id") ON DELETE RESTRICT ON UPDATE CASCADE,
  "actor_type" "actor_type" NOT NULL,
  "actor_id" TEXT,
  "actor_name" TEXT,
  "action" TEXT NOT NULL,
  "namespace" TEXT,
  "target" TEXT,
  "outcome" "audit_outcome" NOT NULL,
  "reason" TEXT,
  "correlation_id" TEXT,
  "request_id" TEXT,
  "details" JSONB NOT NULL DEFAULT '{}',
  "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP
);
CREATE INDEX "audit_event_workspace_id_id_idx" ON "audit_event" ("workspace_id", "id");
CREATE INDEX "audit_event_action_target_created_at_idx" ON "audit_event" ("action", "target", "created_at");

-- The trail is append-only for every role, the application's included: a change
-- to history has to go through a superuser disabling this trigger, and the hash
-- chain (audit sealing) exists to reveal exactly that.
CREATE FUNCTION "audit_event_refuse_change"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_event is append-only: % refused', TG_OP
    USING ERRCODE = 'insufficient_privilege';
END;
$$;
CREATE TRIGGER "audit_event_append_only"
  BEFORE UPDATE OR DELETE ON "audit_event"
  FOR EACH ROW EXECUTE FUNCTION "audit_event_refuse_change"();
CREATE TRIGGER "audit_event_no_truncate"
  BEFORE TRUNCATE ON "audit_event"
  FOR EACH STATEMENT EXECUTE FUNCTION "audit_event_refuse_change"();
