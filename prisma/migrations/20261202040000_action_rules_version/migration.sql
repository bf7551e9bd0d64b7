-- A workspace's action rules have a version, raised by every change to them or to the workspace's
-- default action effect (trigger: prisma/sql/action_rules_changed.sql). principal_stamp covers it,
-- so the one-statement POST /actions (agent_action_request) acts only on the rules it was decided by.
ALTER TABLE "workspace" ADD COLUMN "action_rules_version" INTEGER NOT NULL DEFAULT 0;
