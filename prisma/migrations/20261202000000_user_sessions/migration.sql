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
