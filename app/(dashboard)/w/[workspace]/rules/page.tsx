import type { Metadata } from "next";
import { can } from "@/lib/core/roles";
import { loadRules, ruleJson } from "@/lib/server/actions/rules";
import { requireRole } from "@/lib/server/auth/session";
import { getDb } from "@/lib/server/db";
import { listIdentities } from "@/lib/server/identities/list-identities";
import { listWorkflowClasses } from "@/lib/server/workflow-classes/list-workflow-classes";
import { RulesManager } from "@/components/rules/rules-manager";
import { PageHeader } from "@/components/ui/page-header";
import {
  createRuleAction,
  deleteRuleAction,
  moveRuleAction,
  previewRulesAction,
  setDefaultEffectAction,
  setRuleModeAction,
  updateRuleAction,
} from "./actions";

export const metadata: Metadata = { title: "Rules" };

export default async function RulesPage({ params }: { params: Promise<{ workspace: string }> }) {
  const { workspace: slug } = await params;
  const { workspace, role } = await requireRole(slug);
  const [{ rules, defaultEffect }, classes, identities] = await Promise.all([
    loadRules(getDb(), workspace.id),
    listWorkflowClasses(workspace.id),
    listIdentities(workspace.id),
  ]);
  const canEdit = can(role, "workspace.configure");
  return (
    <div className="space-y-6">
      <PageHeader
        title="Rules"
        description="Which actions agents may take outside BaseKV, which need a person's approval, which are denied. Changes apply from the next request; an action already decided keeps a copy of the rule that decided it."
      />
      <RulesManager
        workspace={workspace.slug}
        rules={rules.map(ruleJson)}
        defaultEffect={defaultEffect}
        classes={classes.map((c) => c.name)}
        identities={identities
          .filter((i) => i.status === "active")
          .map((i) => ({ name: i.name, workflowClass: i.workflowClass.name }))}
        actions={
          canEdit
            ? {
                create: createRuleAction,
                update: updateRuleAction,
                remove: deleteRuleAction,
                move: moveRuleAction,
                setMode: setRuleModeAction,
                setDefault: setDefaultEffectAction,
                preview: previewRulesAction,
              }
            : null
        }
      />
    </div>
  );
}
