-- Deterministic state contract: tasks, their append-only events, and escalations.

CREATE TYPE "task_status" AS ENUM ('accepted', 'running', 'retry_scheduled', 'dead_lettered', 'awaiting_human', 'committed', 'cancelled');
CREATE TYPE "escalation_cause" AS ENUM ('dead_letter', 'agent_request', 'timeout');
CREATE TYPE "escalation_status" AS ENUM ('open', 'acknowledged', 'resolved');

CREATE TABLE "task" (
  "id" TEXT NOT NULL PRIMARY KEY,
  "workspace_id" TEXT NOT NULL REFERENCES "workspace" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
  "workflow_class_id" TEXT NOT NULL REFERENCES "workflow_class" ("id") ON DELETE RESTRICT ON UPDATE CASCADE,
  "namespace_id" TEXT NOT NULL REFERENCES "namespace" ("id") ON DELETE RESTRICT ON UPDATE CASCADE,
  "status" "task_status" NOT NULL DEFAULT 'accepted',
  "attempt" INTEGER NOT NULL DEFAULT 0,
  -- Attempts allowed before dead-lettering; a redrive grants a fresh allowance on top of `attempt`.
  "max_attempts" INTEGER NOT NULL,
  "correlation_id" TEXT NOT NULL,
  "input" JSONB,
  "output" JSONB,
  "last_error" JSONB,
  "retry_at" TIMESTAMPTZ(3),
  "heartbeat_at" TIMESTAMPTZ(3),
  "last_seq" INTEGER NOT NULL DEFAULT 0,
  "checkpoint_step" TEXT,
  "created_by_identity_id" TEXT,
  "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
  "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
  CONSTRAINT "task_attempt_range" CHECK ("attempt" >= 0 AND "max_attempts" >= 1)
);
CREATE INDEX "task_workspace_id_workflow_class_id_created_at_idx" ON "task" ("workspace_id", "workflow_class_id", "created_at" DESC, "id" DESC);
CREATE INDEX "task_running_heartbeat_idx" ON "task" ("heartbeat_at") WHERE "status" = 'running';
CREATE INDEX "task_retry_due_idx" ON "task" ("workflow_class_id", "retry_at") WHERE "status" = 'retry_scheduled';

CREATE TABLE "task_event" (
  "task_id" TEXT NOT NULL REFERENCES "task" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
  "seq" INTEGER NOT NULL,
  "type" TEXT NOT NULL,
  "from_status" "task_status",
  "to_status" "task_status" NOT NULL,
  "step" TEXT,
  "attempt" INTEGER NOT NULL,
  "actor_type" "actor_type" NOT NULL,
  "actor_id" TEXT,
  "actor_name" TEXT,
  "data" JSONB NOT NULL DEFAULT '{}',
  "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
  PRIMARY KEY ("task_id", "seq"),
  CONSTRAINT "task_event_seq_positive" CHECK ("seq" >= 1)
);

-- Task events are history: append-only like the audit trail.
CREATE FUNCTION "task_event_refuse_change"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'task_event is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
END;
$$;
CREATE TRIGGER "task_event_append_only" BEFORE UPDATE OR DELETE ON "task_event"
  FOR EACH ROW EXECUTE FUNCTION "task_event_refuse_change"();

CREATE TABLE "escalation" (
  "id" TEXT NOT NULL PRIMARY KEY,
  "workspace_id" TEXT NOT NULL REFERENCES "workspace" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
  "task_id" TEXT NOT NULL REFERENCES "task" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
  "cause" "escalation_cause" NOT NULL,
  "status" "escalation_status" NOT NULL DEFAULT 'open',
  "reason" TEXT,
  "assignee_user_id" TEXT REFERENCES "app_user" ("id") ON DELETE SET NULL ON UPDATE CASCADE,
  "resolution" TEXT,
  "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
  "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
  "resolved_at" TIMESTAMPTZ(3)
);
CREATE INDEX "escalation_workspace_id_status_created_at_idx" ON "escalation" ("workspace_id", "status", "created_at");
CREATE INDEX "escalation_task_id_idx" ON "escalation" ("task_id");
