-- The audit trail is append-only for every role, the application's included: its tables refuse
-- UPDATE, DELETE and TRUNCATE through these triggers. A change to history has to go through a
-- superuser disabling them, and the hash chain and its signed checkpoints exist to reveal exactly that.
CREATE OR REPLACE FUNCTION "audit_event_refuse_change"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP
    USING ERRCODE = 'insufficient_privilege';
END;
$$;
CREATE OR REPLACE TRIGGER "audit_event_append_only" BEFORE UPDATE OR DELETE ON "audit_event"
  FOR EACH ROW EXECUTE FUNCTION "audit_event_refuse_change"();
CREATE OR REPLACE TRIGGER "audit_event_no_truncate" BEFORE TRUNCATE ON "audit_event"
  FOR EACH STATEMENT EXECUTE FUNCTION "audit_event_refuse_change"();
CREATE OR REPLACE TRIGGER "audit_seal_append_only" BEFORE UPDATE OR DELETE ON "audit_seal"
  FOR EACH ROW EXECUTE FUNCTION "audit_event_refuse_change"();
CREATE OR REPLACE TRIGGER "audit_seal_no_truncate" BEFORE TRUNCATE ON "audit_seal"
  FOR EACH STATEMENT EXECUTE FUNCTION "audit_event_refuse_change"();
CREATE OR REPLACE TRIGGER "audit_checkpoint_append_only" BEFORE UPDATE OR DELETE ON "audit_checkpoint"
  FOR EACH ROW EXECUTE FUNCTION "audit_event_refuse_change"();
CREATE OR REPLACE TRIGGER "audit_checkpoint_no_truncate" BEFORE TRUNCATE ON "audit_checkpoint"
  FOR EACH STATEMENT EXECUTE FUNCTION "audit_event_refuse_change"();
CREATE OR REPLACE TRIGGER "audit_signing_key_append_only" BEFORE UPDATE OR DELETE ON "audit_signing_key"
  FOR EACH ROW EXECUTE FUNCTION "audit_event_refuse_change"();
CREATE OR REPLACE TRIGGER "audit_signing_key_no_truncate" BEFORE TRUNCATE ON "audit_signing_key"
  FOR EACH STATEMENT EXECUTE FUNCTION "audit_event_refuse_change"();
