-- The audit trail is append-only for every role, the application's included: a change to history
-- has to go through a superuser disabling the triggers that call this (on audit_event and
-- audit_seal), and the hash chain exists to reveal exactly that.
CREATE OR REPLACE FUNCTION "audit_event_refuse_change"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_event is append-only: % refused', TG_OP
    USING ERRCODE = 'insufficient_privilege';
END;
$$;
