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
