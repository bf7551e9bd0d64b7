-- The audit trail is append-only for every role, the application's included: its tables refuse
-- UPDATE, DELETE and TRUNCATE through these triggers. A change to history has to go through a
-- superuser disabling them, and the hash chain and its signed checkpoints exist to reveal exactly that.
CREATE OR REPLACE FUNCTION "audit_event_refuse_change"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP
    USING ERRCODE = 'insufficient_privilege';
END;
$$;
DO $$
DECLARE t TEXT;
BEGIN
  FOREACH t IN ARRAY ARRAY['audit_event', 'audit_seal', 'audit_checkpoint', 'audit_signing_key'] LOOP
    EXECUTE format('CREATE OR REPLACE TRIGGER %I BEFORE UPDATE OR DELETE ON %I
                    FOR EACH ROW EXECUTE FUNCTION "audit_event_refuse_change"()', t || '_append_only', t);
    EXECUTE format('CREATE OR REPLACE TRIGGER %I BEFORE TRUNCATE ON %I
                    FOR EACH STATEMENT EXECUTE FUNCTION "audit_event_refuse_change"()', t || '_no_truncate', t);
  END LOOP;
END $$;
