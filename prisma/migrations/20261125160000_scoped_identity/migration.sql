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
