-- A task's history (task_event) is append-only, like the audit trail: its trigger refuses UPDATE and DELETE.
CREATE OR REPLACE FUNCTION "task_event_refuse_change"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'task_event is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
END;
$$;
CREATE OR REPLACE TRIGGER "task_event_append_only" BEFORE UPDATE OR DELETE ON "task_event"
  FOR EACH ROW EXECUTE FUNCTION "task_event_refuse_change"();
