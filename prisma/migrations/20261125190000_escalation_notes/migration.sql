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
