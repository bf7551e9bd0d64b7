-- The schema as the 18 migrations from 20261125150000_foundation to 20261202003000_audit_checkpoints
-- left it, in one migration (each section keeps its migration's name and comments). It replaces them
-- (see `replaces` beside this file): a database that has applied all of them records this one as
-- applied without running it; a new database runs only this. The functions and their triggers are
-- not here: prisma/sql/<name>.sql defines each, and the migration runner applies those files after
-- the migrations (scripts/lib/migrations.ts).

-- ─── 20261125150000_foundation ─────────────────────────────────────────────────────────────────

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

-- ─── 20261125160000_scoped_identity ────────────────────────────────────────────────────────────

-- Scoped identity: namespaces, workflow classes, machine identities with grants, API keys.

ALTER TABLE "workspace"
  ADD COLUMN "max_key_ttl_seconds" INTEGER NOT NULL DEFAULT 7776000,
  ADD CONSTRAINT "workspace_max_key_ttl_range" CHECK ("max_key_ttl_seconds" BETWEEN 1 AND 31536000);

CREATE TYPE "access_level" AS ENUM ('read', 'write', 'readwrite');
CREATE TYPE "identity_status" AS ENUM ('active', 'disabled');

CREATE TABLE "namespace" (
  "id" TEXT NOT NULL PRIMARY KEY,
  "workspace_id" TEXT NOT NULL REFERENCES "workspace" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
  "name" TEXT NOT NULL,
  "description" TEXT,
  "default_ttl_seconds" INTEGER,
  "max_ttl_seconds" INTEGER,
  "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
  "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
  CONSTRAINT "namespace_name_format" CHECK (
    char_length("name") BETWEEN 1 AND 128 AND "name" ~ '^[a-z0-9][a-z0-9_-]*(\.[a-z0-9][a-z0-9_-]*)*$'),
  CONSTRAINT "namespace_ttl_positive" CHECK (
    ("default_ttl_seconds" IS NULL OR "default_ttl_seconds" > 0) AND ("max_ttl_seconds" IS NULL OR "max_ttl_seconds" > 0)),
  CONSTRAINT "namespace_default_within_max" CHECK (
    "default_ttl_seconds" IS NULL OR "max_ttl_seconds" IS NULL OR "default_ttl_seconds" <= "max_ttl_seconds")
);
CREATE UNIQUE INDEX "namespace_workspace_id_name_key" ON "namespace" ("workspace_id", "name");

CREATE TABLE "workflow_class" (
  "id" TEXT NOT NULL PRIMARY KEY,
  "workspace_id" TEXT NOT NULL REFERENCES "workspace" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
  "name" TEXT NOT NULL,
  "description" TEXT,
  "max_attempts" INTEGER NOT NULL DEFAULT 3,
  "initial_interval_ms" INTEGER NOT NULL DEFAULT 1000,
  "backoff_coefficient" DOUBLE PRECISION NOT NULL DEFAULT 2,
  "max_interval_ms" INTEGER NOT NULL DEFAULT 60000,
  "non_retryable_errors" TEXT[] NOT NULL DEFAULT '{}',
  "heartbeat_timeout_seconds" INTEGER NOT NULL DEFAULT 300,
  "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
  "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
  CONSTRAINT "workflow_class_name_format" CHECK ("name" ~ '^[a-z0-9][a-z0-9_-]{0,62}$'),
  CONSTRAINT "workflow_class_retry_policy" CHECK (
    "max_attempts" >= 1 AND "initial_interval_ms" > 0 AND "backoff_coefficient" >= 1
    AND "max_interval_ms" > 0 AND "heartbeat_timeout_seconds" > 0)
);
CREATE UNIQUE INDEX "workflow_class_workspace_id_name_key" ON "workflow_class" ("workspace_id", "name");

CREATE TABLE "identity" (
  "id" TEXT NOT NULL PRIMARY KEY,
  "workspace_id" TEXT NOT NULL REFERENCES "workspace" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
  "workflow_class_id" TEXT NOT NULL REFERENCES "workflow_class" ("id") ON DELETE RESTRICT ON UPDATE CASCADE,
  "name" TEXT NOT NULL,
  "description" TEXT,
  "status" "identity_status" NOT NULL DEFAULT 'active',
  "status_reason" TEXT,
  "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
  "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
  CONSTRAINT "identity_name_format" CHECK ("name" ~ '^[a-z0-9][a-z0-9_-]{0,62}$')
);
CREATE UNIQUE INDEX "identity_workspace_id_name_key" ON "identity" ("workspace_id", "name");
CREATE INDEX "identity_workflow_class_id_idx" ON "identity" ("workflow_class_id");

CREATE TABLE "identity_grant" (
  "identity_id" TEXT NOT NULL REFERENCES "identity" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
  "pattern" TEXT NOT NULL,
  "access" "access_level" NOT NULL,
  PRIMARY KEY ("identity_id", "pattern"),
  CONSTRAINT "identity_grant_pattern_format" CHECK (
    "pattern" = '*' OR "pattern" ~ '^[a-z0-9][a-z0-9_-]*(\.[a-z0-9][a-z0-9_-]*)*(\.\*)?$')
);

CREATE TABLE "credential" (
  "id" TEXT NOT NULL PRIMARY KEY,
  "workspace_id" TEXT NOT NULL REFERENCES "workspace" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
  "identity_id" TEXT NOT NULL REFERENCES "identity" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
  -- SHA-256 of the whole key, hex. The key itself is never stored.
  "key_hash" TEXT NOT NULL,
  "prefix" TEXT NOT NULL,
  "expires_at" TIMESTAMPTZ(3) NOT NULL,
  "daily_write_ceiling" INTEGER,
  "last_used_at" TIMESTAMPTZ(3),
  "created_by" TEXT,
  "rotated_from_id" TEXT,
  "revoked_at" TIMESTAMPTZ(3),
  "revoked_by" TEXT,
  "revoked_reason" TEXT,
  "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
  CONSTRAINT "credential_key_hash_format" CHECK ("key_hash" ~ '^[0-9a-f]{64}$'),
  CONSTRAINT "credential_daily_write_ceiling_positive" CHECK ("daily_write_ceiling" IS NULL OR "daily_write_ceiling" > 0)
);
CREATE UNIQUE INDEX "credential_key_hash_key" ON "credential" ("key_hash");
CREATE INDEX "credential_identity_id_created_at_idx" ON "credential" ("identity_id", "created_at");

-- ─── 20261125170000_state_layer ────────────────────────────────────────────────────────────────

-- State layer: versioned KV entries and idempotency records.

CREATE TABLE "kv_entry" (
  "namespace_id" TEXT NOT NULL REFERENCES "namespace" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
  -- Byte order (COLLATE "C") so that listing by key and cursors agree with what agents expect.
  "key" TEXT COLLATE "C" NOT NULL,
  "workspace_id" TEXT NOT NULL REFERENCES "workspace" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
  "value" JSONB NOT NULL,
  "version" INTEGER NOT NULL,
  "expires_at" TIMESTAMPTZ(3),
  "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
  "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
  "updated_by_type" "actor_type" NOT NULL,
  "updated_by_id" TEXT,
  "updated_by_name" TEXT,
  "update_reason" TEXT,
  PRIMARY KEY ("namespace_id", "key"),
  CONSTRAINT "kv_entry_version_positive" CHECK ("version" >= 1),
  CONSTRAINT "kv_entry_key_length" CHECK (octet_length("key") BETWEEN 1 AND 512)
);
-- The sweeper walks expired rows in expiry order; entries without expiry are not indexed.
CREATE INDEX "kv_entry_expires_at_idx" ON "kv_entry" ("expires_at") WHERE "expires_at" IS NOT NULL;

CREATE TABLE "idempotency_record" (
  "identity_id" TEXT NOT NULL REFERENCES "identity" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
  "key" TEXT NOT NULL,
  "fingerprint" TEXT NOT NULL,
  "response_status" INTEGER NOT NULL,
  -- The body as sent, byte for byte (jsonb would reorder its keys).
  "response_body" TEXT NOT NULL,
  "response_headers" JSONB NOT NULL DEFAULT '{}',
  "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
  "expires_at" TIMESTAMPTZ(3) NOT NULL,
  PRIMARY KEY ("identity_id", "key")
);
CREATE INDEX "idempotency_record_expires_at_idx" ON "idempotency_record" ("expires_at");

-- ─── 20261125180000_tasks ──────────────────────────────────────────────────────────────────────

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

-- ─── 20261125190000_escalation_notes ───────────────────────────────────────────────────────────

-- On-call notes on escalations: every action carries one; people can add more.
CREATE TABLE "escalation_note" (
  "id" BIGSERIAL NOT NULL PRIMARY KEY,
  "escalation_id" TEXT NOT NULL REFERENCES "escalation" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
  "action" TEXT NOT NULL,
  "body" TEXT NOT NULL,
  "author_type" "actor_type" NOT NULL,
  "author_id" TEXT,
  "author_name" TEXT,
  "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP
);
CREATE INDEX "escalation_note_escalation_id_idx" ON "escalation_note" ("escalation_id", "id");

-- ─── 20261125200000_escalation_webhooks ────────────────────────────────────────────────────────

-- Escalation notifications: a webhook per workflow class (and a second tier for overdue
-- escalations), delivered from an outbox by the background worker.

ALTER TABLE "workflow_class"
  ADD COLUMN "webhook_url" TEXT,
  ADD COLUMN "webhook_url_tier2" TEXT,
  -- AES-256-GCM ciphertext of the HMAC signing secret (key derived from AUTH_SECRET):
  -- signing needs the secret itself, so it cannot be hashed; it is shown once, then only used.
  ADD COLUMN "webhook_secret_encrypted" TEXT,
  ADD COLUMN "ack_deadline_seconds" INTEGER,
  ADD CONSTRAINT "workflow_class_ack_deadline_positive" CHECK ("ack_deadline_seconds" IS NULL OR "ack_deadline_seconds" > 0);

ALTER TABLE "escalation" ADD COLUMN "overdue_notified_at" TIMESTAMPTZ(3);

CREATE TYPE "delivery_status" AS ENUM ('pending', 'delivered', 'failed');

CREATE TABLE "webhook_delivery" (
  "id" BIGSERIAL NOT NULL PRIMARY KEY,
  "escalation_id" TEXT NOT NULL REFERENCES "escalation" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
  "tier" INTEGER NOT NULL DEFAULT 1,
  "url" TEXT NOT NULL,
  "status" "delivery_status" NOT NULL DEFAULT 'pending',
  "attempts" INTEGER NOT NULL DEFAULT 0,
  "next_attempt_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
  "last_status_code" INTEGER,
  "last_error" TEXT,
  "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
  "delivered_at" TIMESTAMPTZ(3)
);
CREATE INDEX "webhook_delivery_pending_idx" ON "webhook_delivery" ("next_attempt_at") WHERE "status" = 'pending';
CREATE INDEX "webhook_delivery_escalation_id_idx" ON "webhook_delivery" ("escalation_id");

-- ─── 20261125210000_budgets ────────────────────────────────────────────────────────────────────

-- Budgets: per-day usage counters split into slots (no single hot row), kept as history.

CREATE TABLE "usage_slot" (
  -- A workspace id (daily requests) or a credential id (daily writes).
  "scope_id" TEXT NOT NULL,
  "day" DATE NOT NULL,
  "slot" INTEGER NOT NULL,
  "cap" INTEGER NOT NULL,
  "used" INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY ("scope_id", "day", "slot"),
  CONSTRAINT "usage_slot_used_within_bounds" CHECK ("used" >= 0)
);

-- The first time a workspace enters degraded or stopped mode on a day (audited once).
CREATE TABLE "usage_mode_change" (
  "workspace_id" TEXT NOT NULL REFERENCES "workspace" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
  "day" DATE NOT NULL,
  "mode" TEXT NOT NULL,
  "at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
  PRIMARY KEY ("workspace_id", "day", "mode")
);

-- ─── 20261125220000_audit_chain ────────────────────────────────────────────────────────────────

-- Audit trail: commit order for the hash chain, the seals (hash chain) table,
-- and indexes designed for the search filters.

-- The transaction that wrote each event. Every writer gets it by default (the
-- Prisma writer and raw INSERTs alike), so the chainer can tell "committed
-- before everything still running" (xid < pg_snapshot_xmin(pg_current_snapshot()))
-- without relying on ids, which are handed out before commit.
ALTER TABLE "audit_event" ADD COLUMN "xid" xid8 NOT NULL DEFAULT pg_current_xact_id();

-- The hash chain lives beside the events, in a table of its own, so that
-- audit_event itself is never updated by anyone (its trigger has no exception)
-- and sealing a million events does not rewrite a million rows.
-- One chain per workspace (chain_key = workspace id; events without a
-- workspace, such as sign-ins, form the chain '_global').
-- hash = sha256_hex(prev_hash || '\n' || canonical JSON of the event).
CREATE TABLE "audit_seal" (
  "event_id" BIGINT NOT NULL PRIMARY KEY,
  "chain_key" TEXT NOT NULL,
  "seq" BIGINT NOT NULL,
  "prev_hash" TEXT NOT NULL,
  "hash" TEXT NOT NULL,
  "sealed_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
  CONSTRAINT "audit_seal_seq_positive" CHECK ("seq" > 0),
  CONSTRAINT "audit_seal_hash_format" CHECK ("hash" ~ '^[0-9a-f]{64}$' AND "prev_hash" ~ '^[0-9a-f]{64}$')
);
CREATE UNIQUE INDEX "audit_seal_chain_key_seq_key" ON "audit_seal" ("chain_key", "seq");


-- Where the chainer stopped: every event with (xid, id) <= (last_xid, last_id)
-- is sealed. One row.
CREATE TABLE "audit_chain_state" (
  "id" INTEGER NOT NULL PRIMARY KEY DEFAULT 1,
  "last_xid" BIGINT NOT NULL DEFAULT 0,
  "last_id" BIGINT NOT NULL DEFAULT 0,
  "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
  CONSTRAINT "audit_chain_state_singleton" CHECK ("id" = 1)
);
INSERT INTO "audit_chain_state" ("id") VALUES (1);

-- The chainer's scan: events after its position, in commit-safe order.
CREATE INDEX "audit_event_xid_id_idx" ON "audit_event" ("xid", "id");

-- Search: every query is one workspace, newest first by (created_at, id) with
-- keyset pagination, so each filter gets (workspace_id, <filter>, created_at, id).
CREATE INDEX "audit_event_workspace_id_created_at_id_idx" ON "audit_event" ("workspace_id", "created_at", "id");
CREATE INDEX "audit_event_workspace_id_namespace_created_at_id_idx"
  ON "audit_event" ("workspace_id", "namespace", "created_at", "id") WHERE "namespace" IS NOT NULL;
CREATE INDEX "audit_event_workspace_id_target_created_at_id_idx"
  ON "audit_event" ("workspace_id", "target", "created_at", "id") WHERE "target" IS NOT NULL;
CREATE INDEX "audit_event_workspace_id_correlation_id_created_at_id_idx"
  ON "audit_event" ("workspace_id", "correlation_id", "created_at", "id") WHERE "correlation_id" IS NOT NULL;
CREATE INDEX "audit_event_workspace_id_actor_name_created_at_id_idx"
  ON "audit_event" ("workspace_id", "actor_name", "created_at", "id");
CREATE INDEX "audit_event_workspace_id_action_created_at_id_idx"
  ON "audit_event" ("workspace_id", "action", "created_at", "id");
-- Refusals and conflicts are rare and often what an auditor looks for.
CREATE INDEX "audit_event_workspace_id_outcome_created_at_id_idx"
  ON "audit_event" ("workspace_id", "outcome", "created_at", "id") WHERE "outcome" <> 'success';

-- ─── 20261126001000_audit_index_trim ───────────────────────────────────────────────────────────

-- Every audit event pays for each index on audit_event at insert time, and the
-- guarded write inserts one per call. Two indexes from before the audit
-- trail's search indexes no longer earn their cost:
--
-- (workspace_id, id): the overview's latest events and a key's history now
-- read newest first by (created_at, id), as search does, on the search indexes.
DROP INDEX "audit_event_workspace_id_id_idx";
-- (action, target, created_at): served one query only, the sign-in lockout's
-- recent failures for an email; a partial index holds just those events.
DROP INDEX "audit_event_action_target_created_at_idx";
CREATE INDEX "audit_event_sign_in_failures_idx" ON "audit_event" ("target", "created_at")
  WHERE "action" = 'auth.sign_in_failed';

-- ─── 20261202000000_user_sessions ──────────────────────────────────────────────────────────────

-- Dashboard sessions that can be ended (issue #17). Auth.js's Credentials provider only issues JWT
-- sessions, which nothing can take back before they expire; so each JWT carries a session id
-- (`sid`) and every request checks it against this table (lib/server/auth/user-sessions.ts).
--
-- "id" is the SHA-256 (hex) of the sid, not the sid itself: the sid travels only inside the
-- signed and encrypted session cookie, and a reader of this table (a backup, a replica) who
-- also had AUTH_SECRET could otherwise forge a cookie for any live session.
CREATE TABLE "user_session" (
  "id" TEXT NOT NULL PRIMARY KEY,
  "user_id" TEXT NOT NULL REFERENCES "app_user" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
  "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
  -- Updated at most about once a minute, off the request path.
  "last_seen_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
  "revoked_at" TIMESTAMPTZ(3),
  "revoked_reason" TEXT,
  "user_agent" TEXT,
  CONSTRAINT "user_session_revoked_reason" CHECK (("revoked_at" IS NULL) = ("revoked_reason" IS NULL))
);
-- Ending all of a person's sessions, and clearing their stale rows at sign-in.
CREATE INDEX "user_session_user_id_idx" ON "user_session" ("user_id");

-- The password form's attempt limit counts failures since the last change (or the window's start).
ALTER TABLE "app_user" ADD COLUMN "password_changed_at" TIMESTAMPTZ(3);

-- The password form's recent failures for one user: the action is in the predicate, as for the
-- sign-in lockout's index (migration 20261126001000), so only those events pay for it.
CREATE INDEX "audit_event_password_change_failures_idx" ON "audit_event" ("actor_id", "created_at")
  WHERE "action" = 'auth.password_change_failed';

-- ─── 20261202001000_sign_in_limits ─────────────────────────────────────────────────────────────

-- Sign-in limits (issue #17, findings 5, 6 and 8).

-- Password checks in flight. The lockout allows 5 password checks per email in
-- its window; failures are counted from the audit trail, but a failure is only
-- written once its bcrypt check has finished, so parallel attempts used to all
-- see "fewer than 5" and all run (24 attempts → 13 checks). Now an attempt
-- claims a row here, under a transaction-scoped advisory lock on the email,
-- before it hashes; a claim counts as a failure until the attempt settles
-- (which deletes it in the same transaction that writes its outcome). A claim
-- left behind by a crash keeps counting until it leaves the window.
CREATE TABLE "sign_in_check" (
  "id" BIGSERIAL NOT NULL PRIMARY KEY,
  "email" TEXT NOT NULL,
  "started_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP
);
CREATE INDEX "sign_in_check_email_started_at_idx" ON "sign_in_check" ("email", "started_at");

-- Sign-in attempts per client address (or IPv6 /64) in the current fixed window
-- (lib/core/address-limit.ts): one row per address, incremented by one
-- conditional upsert, so the count is exact across instances. Rows of past
-- windows are removed a few at a time by later attempts (the window_start index).
CREATE TABLE "sign_in_address_window" (
  "address" TEXT NOT NULL PRIMARY KEY,
  "window_start" TIMESTAMPTZ(3) NOT NULL,
  "attempts" INTEGER NOT NULL
);
CREATE INDEX "sign_in_address_window_window_start_idx" ON "sign_in_address_window" ("window_start");

-- What a workspace shows about its members is the workspace's own: when the
-- member last opened this workspace (not their last sign-in anywhere), and the
-- name this workspace's admin gave them (not one set in another workspace).
ALTER TABLE "membership" ADD COLUMN "last_seen_at" TIMESTAMPTZ(3);
ALTER TABLE "membership" ADD COLUMN "display_name" TEXT;
-- Existing members keep the name the page showed until now.
UPDATE "membership" m SET "display_name" = u."name" FROM "app_user" u WHERE u."id" = m."user_id" AND u."name" IS NOT NULL;

-- ─── 20261202002000_webhook_delivery ───────────────────────────────────────────────────────────

-- Webhook deliveries are claimed in one short transaction, sent outside any transaction, and their
-- result recorded in another (issue #17): a transaction held open across the HTTP call kept the audit
-- chainer from sealing any workspace's newer events until the receiver answered.
--
-- claimed_until: a claim's lease; another run (in this or another instance) takes the delivery only
-- after it has passed (the claimer died mid-send). claim_token: whose claim it is, so a run whose
-- lease ran out cannot record over the run that took the delivery over.
ALTER TABLE "webhook_delivery"
  ADD COLUMN "claimed_until" TIMESTAMPTZ(3),
  ADD COLUMN "claim_token" TEXT;

-- ─── 20261202003000_audit_checkpoints ──────────────────────────────────────────────────────────

-- Signed checkpoints of the audit chains (issue #18).
--
-- A checkpoint is the head of one chain — (chain, seq, hash, time) — signed with an Ed25519 key that
-- is not in the database (AUDIT_SIGNING_KEY) and also written outside it (the anchor file, a
-- webhook). The rows here are copies for the dashboard and the verifier; what an auditor relies on
-- is the signature and the anchored copy, which a database administrator can neither forge nor
-- remove. Append-only like the events and their seals (below).
CREATE TABLE "audit_checkpoint" (
  "id" BIGSERIAL PRIMARY KEY,
  "chain_key" TEXT NOT NULL,
  "seq" BIGINT NOT NULL,
  "hash" TEXT NOT NULL,
  "created_at" TIMESTAMPTZ(3) NOT NULL,
  "key_id" TEXT NOT NULL,
  "signature" TEXT NOT NULL,
  CONSTRAINT "audit_checkpoint_seq_positive" CHECK ("seq" > 0),
  CONSTRAINT "audit_checkpoint_hash_format" CHECK ("hash" ~ '^[0-9a-f]{64}$')
);
CREATE INDEX "audit_checkpoint_chain_key_seq_idx" ON "audit_checkpoint" ("chain_key", "seq");

-- The signing keys' public halves, each new one cross-signed by the one before it (and itself
-- acknowledging its predecessor): verifiers accept a key only through such links from a key they pinned.
CREATE TABLE "audit_signing_key" (
  "key_id" TEXT NOT NULL PRIMARY KEY,
  "public_key" TEXT NOT NULL,
  "created_at" TIMESTAMPTZ(3) NOT NULL,
  "previous_key_id" TEXT,
  "previous_signature" TEXT,
  "signature" TEXT NOT NULL
);


-- Work queue of the checkpointer: chains with sealed events that no checkpoint covers yet, with
-- their head and since when. The chainer upserts a chain's row as it seals; the checkpointer deletes
-- it once it has signed that head. Not evidence: whatever is written here is checked against the
-- seals before it is signed.
CREATE TABLE "audit_chain_pending" (
  "chain_key" TEXT NOT NULL PRIMARY KEY,
  "seq" BIGINT NOT NULL,
  "hash" TEXT NOT NULL,
  "since" TIMESTAMPTZ(3) NOT NULL
);

-- Where each chain was last verified, at a signed checkpoint: the dashboard's verify goes on from
-- there (after re-checking every anchored checkpoint), so it costs time in proportion to new events.
CREATE TABLE "audit_verification" (
  "chain_key" TEXT NOT NULL PRIMARY KEY,
  "seq" BIGINT NOT NULL,
  "hash" TEXT NOT NULL,
  "verified_at" TIMESTAMPTZ(3) NOT NULL
);
