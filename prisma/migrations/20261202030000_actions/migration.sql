-- Actions (API.md "Actions — ask before acting"): a workspace's ordered action rules, the actions
-- agents ask for, and people's approvals of them. Decisions are lib/core's (action-rules.ts,
-- actions.ts); this only stores them. USD amounts are integer micro-dollars, never floats.

CREATE TYPE "action_effect" AS ENUM ('allow', 'deny', 'require_approval');
CREATE TYPE "rule_mode" AS ENUM ('enforce', 'shadow');
CREATE TYPE "action_status" AS ENUM ('allowed', 'pending_approval', 'succeeded', 'failed', 'denied', 'rejected', 'expired', 'timed_out', 'cancelled');

-- Fail closed: what no enforce rule decides is denied, in existing workspaces as in new ones.
ALTER TABLE "workspace" ADD COLUMN "default_action_effect" "action_effect" NOT NULL DEFAULT 'deny';

CREATE TABLE "action_rule" (
  "id" TEXT PRIMARY KEY,
  "workspace_id" TEXT NOT NULL REFERENCES "workspace" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
  "position" INTEGER NOT NULL CHECK ("position" >= 1),
  "name" TEXT NOT NULL,
  "action" TEXT NOT NULL,
  "workflow_class" TEXT,
  "min_estimate_micros" BIGINT CHECK ("min_estimate_micros" >= 0),
  "max_estimate_micros" BIGINT CHECK ("max_estimate_micros" >= 0),
  "effect" "action_effect" NOT NULL,
  "mode" "rule_mode" NOT NULL DEFAULT 'enforce',
  "message" TEXT,
  "approval_timeout_seconds" INTEGER NOT NULL DEFAULT 3600 CHECK ("approval_timeout_seconds" > 0),
  "completion_timeout_seconds" INTEGER NOT NULL DEFAULT 900 CHECK ("completion_timeout_seconds" > 0),
  "required_approvals" INTEGER NOT NULL DEFAULT 1 CHECK ("required_approvals" IN (1, 2)),
  "require_estimate" BOOLEAN NOT NULL DEFAULT false,
  "rate_limit_count" INTEGER CHECK ("rate_limit_count" >= 1),
  "rate_limit_micros" BIGINT CHECK ("rate_limit_micros" >= 0),
  "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
  "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP
);
CREATE UNIQUE INDEX "action_rule_workspace_id_name_key" ON "action_rule" ("workspace_id", "name");
CREATE INDEX "action_rule_workspace_id_position_idx" ON "action_rule" ("workspace_id", "position");

CREATE TABLE "action" (
  "id" TEXT PRIMARY KEY,
  "workspace_id" TEXT NOT NULL REFERENCES "workspace" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
  "identity_id" TEXT NOT NULL REFERENCES "identity" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
  "credential_id" TEXT NOT NULL,
  "workflow_class_id" TEXT NOT NULL REFERENCES "workflow_class" ("id") ON DELETE RESTRICT ON UPDATE CASCADE,
  "action" TEXT NOT NULL,
  "status" "action_status" NOT NULL,
  "summary" TEXT,
  "resource" TEXT,
  "arguments" JSONB,
  "arguments_sha256" TEXT NOT NULL,
  "approved_arguments" JSONB,
  "approved_arguments_sha256" TEXT,
  "estimate_micros" BIGINT CHECK ("estimate_micros" >= 0),
  "estimate_tokens" BIGINT CHECK ("estimate_tokens" >= 0),
  "actual_micros" BIGINT CHECK ("actual_micros" >= 0),
  "actual_tokens" BIGINT CHECK ("actual_tokens" >= 0),
  "overrun" BOOLEAN NOT NULL DEFAULT false,
  "rule_id" TEXT,
  "rule_name" TEXT,
  "rule" JSONB,
  "shadow" JSONB NOT NULL DEFAULT '[]',
  "required_approvals" INTEGER NOT NULL DEFAULT 1 CHECK ("required_approvals" IN (1, 2)),
  "approval_timeout_seconds" INTEGER NOT NULL,
  "completion_timeout_seconds" INTEGER NOT NULL,
  "expires_at" TIMESTAMPTZ(3),
  "second_tier_notified_at" TIMESTAMPTZ(3),
  "message" TEXT,
  "result" JSONB,
  "error" JSONB,
  "task_id" TEXT REFERENCES "task" ("id") ON DELETE SET NULL ON UPDATE CASCADE,
  "correlation_id" TEXT NOT NULL,
  "request_id" TEXT,
  "decided_at" TIMESTAMPTZ(3),
  "completed_at" TIMESTAMPTZ(3),
  "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
  "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
  -- Waiting statuses have a deadline; final ones do not.
  CONSTRAINT "action_deadline" CHECK ((status IN ('allowed', 'pending_approval')) = (expires_at IS NOT NULL))
);
CREATE INDEX "action_workspace_id_created_at_id_idx" ON "action" ("workspace_id", "created_at" DESC, "id" DESC);
CREATE INDEX "action_workspace_id_status_expires_at_idx" ON "action" ("workspace_id", "status", "expires_at");
CREATE INDEX "action_status_expires_at_idx" ON "action" ("status", "expires_at");
CREATE INDEX "action_identity_id_rule_id_created_at_idx" ON "action" ("identity_id", "rule_id", "created_at");
CREATE INDEX "action_task_id_idx" ON "action" ("task_id");

CREATE TABLE "action_approval" (
  "id" BIGSERIAL PRIMARY KEY,
  "action_id" TEXT NOT NULL REFERENCES "action" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
  "decision" TEXT NOT NULL CHECK ("decision" IN ('approve', 'reject')),
  "by_type" "actor_type" NOT NULL,
  "by_id" TEXT NOT NULL,
  "by_name" TEXT,
  "via" TEXT,
  "reason" TEXT NOT NULL CHECK (btrim("reason") <> ''),
  "arguments_sha256" TEXT NOT NULL,
  "edited_arguments" JSONB,
  "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP
);
CREATE INDEX "action_approval_action_id_id_idx" ON "action_approval" ("action_id", "id");

-- An overrun (actual above the rule's maxEstimateUsd) opens an escalation on the action, which may have no task.
ALTER TYPE "escalation_cause" ADD VALUE 'overrun';
ALTER TABLE "escalation" ALTER COLUMN "task_id" DROP NOT NULL;
ALTER TABLE "escalation" ADD COLUMN "action_id" TEXT REFERENCES "action" ("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "escalation" ADD CONSTRAINT "escalation_subject" CHECK ("task_id" IS NOT NULL OR "action_id" IS NOT NULL);
CREATE INDEX "escalation_action_id_idx" ON "escalation" ("action_id");

-- The outbox carries approval notices too: each delivery is about an escalation or an action.
ALTER TABLE "webhook_delivery" ALTER COLUMN "escalation_id" DROP NOT NULL;
ALTER TABLE "webhook_delivery" ADD COLUMN "action_id" TEXT REFERENCES "action" ("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "webhook_delivery" ADD COLUMN "event" TEXT NOT NULL DEFAULT 'escalation';
ALTER TABLE "webhook_delivery" ADD CONSTRAINT "webhook_delivery_subject"
  CHECK (("escalation_id" IS NOT NULL) <> ("action_id" IS NOT NULL));
CREATE INDEX "webhook_delivery_action_id_idx" ON "webhook_delivery" ("action_id");
