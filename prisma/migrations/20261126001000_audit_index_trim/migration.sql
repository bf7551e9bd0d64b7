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
