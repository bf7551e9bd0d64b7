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

CREATE TRIGGER "audit_seal_append_only"
  BEFORE UPDATE OR DELETE ON "audit_seal"
  FOR EACH ROW EXECUTE FUNCTION "audit_event_refuse_change"();
CREATE TRIGGER "audit_seal_no_truncate"
  BEFORE TRUNCATE ON "audit_seal"
  FOR EACH STATEMENT EXECUTE FUNCTION "audit_event_refuse_change"();

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
