"use client";

import { Fragment, useRef, useState, type ReactNode } from "react";
import type { FormAction } from "@/lib/action-state";
import { ACTION_EFFECTS, type ActionEffect } from "@/lib/core/action-rules";
import type { RuleJson } from "@/lib/server/actions/rules";
import {
  draftFromJson,
  draftOf,
  EMPTY_RULE_FORM,
  parseRuleForm,
  ruleFormFromJson,
  type DraftRule,
  type FieldErrors,
  type RuleFormFields,
} from "@/lib/validations/rule-draft";
import { Alert } from "@/components/ui/alert";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Card } from "@/components/ui/card";
import { Field, Select } from "@/components/ui/field";
import { EmptyState } from "@/components/ui/page-header";
import { ReasonDialog } from "@/components/ui/reason-dialog";
import { Table, Td, Th } from "@/components/ui/table";
import { ImpactPreview, type Draft, type PreviewAction } from "./impact-preview";
import { RuleEditor } from "./rule-editor";
import {
  EFFECT_LABEL,
  EFFECT_TONE,
  estimateRange,
  MAX_WITHOUT_ESTIMATE_WARNING,
  maxWithoutEstimate,
  rateLimitText,
  timeoutsText,
} from "./rule-format";
import { RuleSimulator } from "./rule-simulator";

export type RulesActions = {
  create: FormAction;
  update: FormAction;
  remove: FormAction;
  move: FormAction;
  setMode: FormAction;
  setDefault: FormAction;
  preview: PreviewAction;
};

type Editing = { ruleId: string | null; fields: RuleFormFields & { position: string } };

/**
 * The Rules page's interactive part. Everyone sees the ordered rules and the simulator; an admin
 * (`actions` given) also edits — every change with a reason, and with a replay of the last 7 days
 * before it is saved. The server actions check the role again: hiding the buttons is not the check.
 */
export function RulesManager({
  workspace,
  rules,
  defaultEffect,
  classes,
  identities,
  actions,
}: {
  workspace: string;
  rules: RuleJson[];
  defaultEffect: ActionEffect;
  classes: string[];
  identities: { name: string; workflowClass: string }[];
  /** Present only for people who may change the rules. */
  actions: RulesActions | null;
}) {
  const [editing, setEditing] = useState<Editing | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const editorRef = useRef<HTMLDivElement>(null);
  const saved = rules.map(draftFromJson);
  const savedDraft: Draft = { drafts: saved, defaultEffect };

  const open = (next: Editing) => {
    setNotice(null);
    setEditing(next);
    requestAnimationFrame(() => editorRef.current?.scrollIntoView({ behavior: "smooth", block: "start" }));
  };
  const done = (message: string | null) => {
    setNotice(message);
    setEditing(null);
  };

  // The draft being edited: the saved rules with this one replaced, or the new one inserted.
  let editorDraft: Draft | null = null;
  let localErrors: FieldErrors = {};
  if (editing) {
    const parsed = parseRuleForm(editing.fields);
    if (!parsed.ok) {
      localErrors = parsed.fieldErrors;
      editorDraft = { error: "fix the highlighted fields of the rule first." };
    } else if (editing.ruleId) {
      editorDraft = {
        drafts: saved.map((d) => (d.id === editing.ruleId ? draftOf(editing.ruleId, parsed.rule) : d)),
        defaultEffect,
      };
    } else {
      const position = Number(editing.fields.position);
      const at = Number.isInteger(position) && position >= 1 && position <= saved.length ? position - 1 : saved.length;
      const drafts = [...saved];
      drafts.splice(at, 0, draftOf(null, parsed.rule));
      editorDraft = { drafts, defaultEffect };
    }
  }

  const rowActions = (rule: RuleJson, index: number) =>
    actions ? (
      <RowActions
        workspace={workspace}
        rule={rule}
        index={index}
        saved={saved}
        defaultEffect={defaultEffect}
        actions={actions}
        onEdit={() => open({ ruleId: rule.id, fields: { ...ruleFormFromJson(rule), position: "" } })}
        onDone={(message) => done(message)}
      />
    ) : null;

  return (
    <div className="space-y-6">
      {notice ? <Alert tone="success">{notice}</Alert> : null}
      <DefaultEffectCard
        workspace={workspace}
        current={defaultEffect}
        saved={saved}
        actions={actions}
        onDone={(message) => done(message)}
      />
      <Card>
        <div className="mb-4 flex flex-wrap items-center justify-between gap-3">
          <div>
            <h2 className="text-base font-semibold">Rules, in order</h2>
            <p className="text-sm text-zinc-600 dark:text-zinc-400">
              The first matching enforced rule decides; every matching shadow rule records what it would have done.
            </p>
          </div>
          {actions ? (
            <Button onClick={() => open({ ruleId: null, fields: { ...EMPTY_RULE_FORM, position: "" } })}>
              Add rule
            </Button>
          ) : null}
        </div>
        {rules.length === 0 ? (
          <EmptyState title="No rules yet">
            Every action is decided by the workspace default ({EFFECT_LABEL[defaultEffect]}).
            {actions ? " Add a rule to allow, deny or send actions for approval." : ""}
          </EmptyState>
        ) : (
          <>
            <div className="hidden lg:block">
              <Table aria-label="Rules">
                <thead>
                  <tr>
                    <Th>#</Th>
                    <Th>Name</Th>
                    <Th>Pattern</Th>
                    <Th>Class</Th>
                    <Th>Effect</Th>
                    <Th>Mode</Th>
                    <Th>Estimate</Th>
                    <Th>Approvals</Th>
                    <Th>Timeouts</Th>
                    <Th>Rate limit</Th>
                    {actions ? <Th className="text-right">Change</Th> : null}
                  </tr>
                </thead>
                <tbody className="divide-y divide-zinc-100 dark:divide-zinc-800">
                  {rules.map((rule, index) => (
                    <Fragment key={rule.id}>
                      <tr
                        data-testid="rule-row"
                        className={maxWithoutEstimate(rule) ? "border-b-0! [&>td]:pb-1" : undefined}
                      >
                        <Td className="tabular-nums">{rule.position}</Td>
                        <Td className="font-medium">{rule.name}</Td>
                        <Td className="font-mono text-xs">{rule.action}</Td>
                        <Td>{rule.workflowClass ?? <span className="text-zinc-500">every</span>}</Td>
                        <Td>
                          <Badge tone={EFFECT_TONE[rule.effect]}>{EFFECT_LABEL[rule.effect]}</Badge>
                        </Td>
                        <Td>
                          <Badge tone={rule.mode === "shadow" ? "info" : "neutral"}>{rule.mode}</Badge>
                        </Td>
                        <Td className="whitespace-nowrap tabular-nums">
                          {estimateRange(rule)}
                          {rule.requireEstimate ? <span className="block text-xs text-zinc-500">required</span> : null}
                        </Td>
                        <Td className="tabular-nums">
                          {rule.effect === "require_approval" ? rule.requiredApprovals : "—"}
                        </Td>
                        <Td className="text-xs">{timeoutsText(rule)}</Td>
                        <Td className="text-xs">{rateLimitText(rule)}</Td>
                        {actions ? <Td className="text-right">{rowActions(rule, index)}</Td> : null}
                      </tr>
                      {maxWithoutEstimate(rule) ? (
                        <tr data-testid="rule-warning">
                          <td colSpan={actions ? 11 : 10} className="px-4 pb-3 pt-0">
                            <MaxWarning />
                          </td>
                        </tr>
                      ) : null}
                    </Fragment>
                  ))}
                </tbody>
              </Table>
            </div>
            <ol className="space-y-3 lg:hidden" aria-label="Rules">
              {rules.map((rule, index) => (
                <li
                  key={rule.id}
                  className="rounded-md border border-zinc-200 p-3 dark:border-zinc-800"
                  data-testid="rule-card"
                >
                  <div className="flex flex-wrap items-center gap-2">
                    <span className="text-sm tabular-nums text-zinc-500">{rule.position}.</span>
                    <span className="font-medium">{rule.name}</span>
                    <Badge tone={EFFECT_TONE[rule.effect]}>{EFFECT_LABEL[rule.effect]}</Badge>
                    <Badge tone={rule.mode === "shadow" ? "info" : "neutral"}>{rule.mode}</Badge>
                  </div>
                  <dl className="mt-2 grid grid-cols-[auto_1fr] gap-x-3 gap-y-1 text-sm">
                    <Term label="Pattern">
                      <span className="font-mono text-xs">{rule.action}</span>
                    </Term>
                    <Term label="Class">{rule.workflowClass ?? "every"}</Term>
                    <Term label="Estimate">
                      {estimateRange(rule)}
                      {rule.requireEstimate ? " (required)" : ""}
                    </Term>
                    {rule.effect === "require_approval" ? (
                      <Term label="Approvals">{rule.requiredApprovals}</Term>
                    ) : null}
                    <Term label="Timeouts">{timeoutsText(rule)}</Term>
                    <Term label="Rate limit">{rateLimitText(rule)}</Term>
                  </dl>
                  {maxWithoutEstimate(rule) ? <MaxWarning /> : null}
                  {actions ? (
                    <div className="mt-2 border-t border-zinc-100 pt-2 dark:border-zinc-800">
                      {rowActions(rule, index)}
                    </div>
                  ) : null}
                </li>
              ))}
            </ol>
          </>
        )}
      </Card>
      {editing && actions ? (
        <div ref={editorRef} className="scroll-mt-4">
          <Card>
            <h2 className="mb-4 text-base font-semibold">
              {editing.ruleId ? `Edit rule “${rules.find((r) => r.id === editing.ruleId)?.name ?? ""}”` : "New rule"}
            </h2>
            <RuleEditor
              key={editing.ruleId ?? "new"}
              workspace={workspace}
              ruleId={editing.ruleId}
              title={editing.ruleId ? "Edit rule" : "New rule"}
              fields={editing.fields}
              onChange={(fields) => setEditing({ ...editing, fields })}
              localErrors={localErrors}
              classes={classes}
              action={editing.ruleId ? actions.update : actions.create}
              onSaved={(state) => done(state.message)}
              onCancel={() => done(null)}
              preview={<ImpactPreview workspace={workspace} action={actions.preview} draft={editorDraft!} />}
            />
          </Card>
        </div>
      ) : null}
      <Card role="region" aria-labelledby="simulator-heading">
        <h2 id="simulator-heading" className="text-base font-semibold">
          Simulator
        </h2>
        <p className="mb-4 text-sm text-zinc-600 dark:text-zinc-400">
          What would happen if an agent asked now? Decided in your browser by the same function the agent API uses.
        </p>
        <RuleSimulator saved={savedDraft} draft={editorDraft} identities={identities} classes={classes} />
      </Card>
    </div>
  );
}

function Term({ label, children }: { label: string; children: ReactNode }) {
  return (
    <>
      <dt className="text-zinc-500">{label}</dt>
      <dd className="min-w-0 break-words">{children}</dd>
    </>
  );
}

function MaxWarning() {
  return (
    <p className="mt-1 text-xs font-normal text-amber-700 dark:text-amber-400" role="note">
      ⚠ {MAX_WITHOUT_ESTIMATE_WARNING}
    </p>
  );
}

function RowActions({
  workspace,
  rule,
  index,
  saved,
  defaultEffect,
  actions,
  onEdit,
  onDone,
}: {
  workspace: string;
  rule: RuleJson;
  index: number;
  saved: DraftRule[];
  defaultEffect: ActionEffect;
  actions: RulesActions;
  onEdit: () => void;
  onDone: (message: string | null) => void;
}) {
  const moved = (to: number): Draft => {
    const drafts = [...saved];
    const [item] = drafts.splice(index, 1);
    drafts.splice(to, 0, item!);
    return { drafts, defaultEffect };
  };
  const otherMode = rule.mode === "shadow" ? "enforce" : "shadow";
  const toggled: Draft = {
    drafts: saved.map((d) => (d.id === rule.id ? { ...d, rule: { ...d.rule, mode: otherMode } } : d)),
    defaultEffect,
  };
  const removed: Draft = { drafts: saved.filter((d) => d.id !== rule.id), defaultEffect };
  const preview = (draft: Draft) => <ImpactPreview workspace={workspace} action={actions.preview} draft={draft} />;
  const after = (state: { message: string | null }) => onDone(state.message);
  return (
    <div className="flex flex-wrap items-center gap-1 lg:flex-nowrap lg:justify-end">
      <Button variant="ghost" size="sm" onClick={onEdit} aria-label={`Edit ${rule.name}`}>
        Edit
      </Button>
      {index > 0 ? (
        <ReasonDialog
          action={actions.move}
          fields={{ workspace, ruleId: rule.id, position: String(rule.position - 1) }}
          trigger="↑"
          triggerLabel={`Move ${rule.name} up`}
          title={`Move “${rule.name}” up to position ${rule.position - 1}?`}
          description="Order decides: the first matching enforced rule wins. It applies from the next request."
          submitLabel="Move up"
          submitVariant="primary"
          onDone={after}
        >
          {preview(moved(index - 1))}
        </ReasonDialog>
      ) : null}
      {index < saved.length - 1 ? (
        <ReasonDialog
          action={actions.move}
          fields={{ workspace, ruleId: rule.id, position: String(rule.position + 1) }}
          trigger="↓"
          triggerLabel={`Move ${rule.name} down`}
          title={`Move “${rule.name}” down to position ${rule.position + 1}?`}
          description="Order decides: the first matching enforced rule wins. It applies from the next request."
          submitLabel="Move down"
          submitVariant="primary"
          onDone={after}
        >
          {preview(moved(index + 1))}
        </ReasonDialog>
      ) : null}
      <ReasonDialog
        action={actions.setMode}
        fields={{ workspace, ruleId: rule.id, mode: otherMode }}
        trigger={otherMode === "shadow" ? "Shadow" : "Enforce"}
        triggerLabel={otherMode === "shadow" ? `Put ${rule.name} in shadow mode` : `Enforce ${rule.name}`}
        title={otherMode === "shadow" ? `Put “${rule.name}” in shadow mode?` : `Enforce “${rule.name}”?`}
        description={
          otherMode === "shadow"
            ? "Its verdicts are recorded on each action but never applied: the next matching rule (or the default) decides."
            : "From the next request, it decides the actions it matches (unless an enforced rule above it matches first)."
        }
        submitLabel={otherMode === "shadow" ? "Switch to shadow" : "Enforce"}
        submitVariant="primary"
        onDone={after}
      >
        {preview(toggled)}
      </ReasonDialog>
      <ReasonDialog
        action={actions.remove}
        fields={{ workspace, ruleId: rule.id }}
        trigger="Delete"
        triggerLabel={`Delete ${rule.name}`}
        title={`Delete rule “${rule.name}”?`}
        description="The rules after it move up one. Actions it already decided keep their copy of it."
        submitLabel="Delete rule"
        onDone={after}
      >
        {preview(removed)}
      </ReasonDialog>
    </div>
  );
}

function DefaultEffectCard({
  workspace,
  current,
  saved,
  actions,
  onDone,
}: {
  workspace: string;
  current: ActionEffect;
  saved: DraftRule[];
  actions: RulesActions | null;
  onDone: (message: string | null) => void;
}) {
  const [chosen, setChosen] = useState<ActionEffect>(current);
  return (
    <Card>
      <div className="flex flex-wrap items-end justify-between gap-4">
        <div>
          <h2 className="text-base font-semibold">When no rule decides</h2>
          <p className="text-sm text-zinc-600 dark:text-zinc-400">
            Actions that no enforced rule matches are{" "}
            <Badge tone={EFFECT_TONE[current]}>
              <span data-testid="default-effect">{EFFECT_LABEL[current]}</span>
            </Badge>
            {current === "allow" ? " — this workspace fails open." : "."}
          </p>
        </div>
        {actions ? (
          <div className="flex flex-wrap items-end gap-2">
            <Field label="Default action effect" htmlFor="default-effect">
              <Select
                id="default-effect"
                value={chosen}
                onChange={(e) => setChosen(e.target.value as ActionEffect)}
                className="w-48"
              >
                {ACTION_EFFECTS.map((effect) => (
                  <option key={effect} value={effect}>
                    {EFFECT_LABEL[effect]}
                  </option>
                ))}
              </Select>
            </Field>
            {chosen !== current ? (
              <ReasonDialog
                action={actions.setDefault}
                fields={{ workspace, defaultActionEffect: chosen }}
                trigger="Change default"
                triggerVariant={chosen === "allow" ? "danger" : "primary"}
                title={`Make the default “${EFFECT_LABEL[chosen]}”?`}
                description={
                  chosen === "allow"
                    ? "This fails open: every action that no rule matches — including names nobody has thought of — is allowed without anyone asked."
                    : chosen === "deny"
                      ? "Fails closed: every action no rule matches is denied (403)."
                      : "Every action no rule matches waits for a person's approval."
                }
                submitLabel={chosen === "allow" ? "Allow by default" : "Change default"}
                submitVariant={chosen === "allow" ? "danger" : "primary"}
                onDone={(state) => onDone(state.message)}
              >
                <ImpactPreview
                  workspace={workspace}
                  action={actions.preview}
                  draft={{ drafts: saved, defaultEffect: chosen }}
                />
              </ReasonDialog>
            ) : null}
          </div>
        ) : null}
      </div>
    </Card>
  );
}
