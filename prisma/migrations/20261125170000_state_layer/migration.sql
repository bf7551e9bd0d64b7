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
