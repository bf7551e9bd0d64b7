-- A task's history (task_event) is append-only: its trigger calls this on UPDATE or DELETE.
CREATE OR REPLACE FUNCTION "task_event_refuse_change"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'task_event is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
END;
$$;
