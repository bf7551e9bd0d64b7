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
