-- The version of a workspace's action rules (workspace.action_rules_version): raised by every insert,
-- update or delete of an action rule and by a change of the workspace's default action effect, in
-- the transaction that makes the change. principal_stamp covers it: a process that decided a
-- request from the rules it remembers (lib/server/actions/rules-cache.ts) acts only while they are
-- still the rules — "rule changes apply from the next request" (API.md). A workflow class's daily
-- USD limit raises it too: the one-statement path lays out and degrades by the limits it remembers.
CREATE OR REPLACE FUNCTION "action_rules_changed"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_TABLE_NAME = 'workflow_class' THEN
    UPDATE workspace SET action_rules_version = action_rules_version + 1 WHERE id = NEW.workspace_id;
    RETURN NULL;
  END IF;
  IF TG_TABLE_NAME = 'workspace' THEN
    IF NEW.default_action_effect IS DISTINCT FROM OLD.default_action_effect THEN
      NEW.action_rules_version := OLD.action_rules_version + 1;
    END IF;
    RETURN NEW;
  END IF;
  UPDATE workspace SET action_rules_version = action_rules_version + 1
  WHERE id IN (SELECT DISTINCT workspace_id FROM changed_rules);
  RETURN NULL;
END;
$$;
CREATE OR REPLACE TRIGGER "action_rules_version_on_default" BEFORE UPDATE OF "default_action_effect" ON "workspace"
  FOR EACH ROW EXECUTE FUNCTION "action_rules_changed"();
CREATE OR REPLACE TRIGGER "action_rules_version_on_insert" AFTER INSERT ON "action_rule"
  REFERENCING NEW TABLE AS changed_rules FOR EACH STATEMENT EXECUTE FUNCTION "action_rules_changed"();
CREATE OR REPLACE TRIGGER "action_rules_version_on_update" AFTER UPDATE ON "action_rule"
  REFERENCING NEW TABLE AS changed_rules FOR EACH STATEMENT EXECUTE FUNCTION "action_rules_changed"();
CREATE OR REPLACE TRIGGER "action_rules_version_on_delete" AFTER DELETE ON "action_rule"
  REFERENCING OLD TABLE AS changed_rules FOR EACH STATEMENT EXECUTE FUNCTION "action_rules_changed"();
CREATE OR REPLACE TRIGGER "action_rules_version_on_class_limit" AFTER UPDATE OF "daily_usd_limit_micros" ON "workflow_class"
  FOR EACH ROW WHEN (NEW.daily_usd_limit_micros IS DISTINCT FROM OLD.daily_usd_limit_micros)
  EXECUTE FUNCTION "action_rules_changed"();
