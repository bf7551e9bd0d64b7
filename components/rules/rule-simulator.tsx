"use client";

import { useState } from "react";
import { decideAction, type ActionEffect } from "@/lib/core/action-rules";
import { formatDuration } from "@/lib/core/duration";
import { decidableRules, simulatorUsd } from "@/lib/validations/rule-draft";
import { Alert } from "@/components/ui/alert";
import { Badge } from "@/components/ui/badge";
import { Field, Input, Select } from "@/components/ui/field";
import type { Draft } from "./impact-preview";
import { VERDICT_LABEL, VERDICT_TONE } from "./rule-format";

type Identity = { name: string; workflowClass: string };

/**
 * "What happens if this agent asks for this action?" — answered in the browser by `decideAction`,
 * the function the agent API decides with, over the saved rules or the draft being edited.
 * Rate limits and spend budgets depend on what was spent: not simulated.
 */
export function RuleSimulator({
  saved,
  draft,
  identities,
  classes,
}: {
  saved: Draft;
  /** The rule set being edited, when there is one. */
  draft: Draft | null;
  identities: Identity[];
  classes: string[];
}) {
  const [who, setWho] = useState(identities[0] ? `identity:${identities[0].name}` : "class:");
  const [typedClass, setTypedClass] = useState(classes[0] ?? "");
  const [action, setAction] = useState("");
  const [estimate, setEstimate] = useState("");
  const [tokens, setTokens] = useState("");
  const [useDraft, setUseDraft] = useState(true);

  const against = draft && useDraft ? draft : saved;
  const workflowClass = who.startsWith("identity:")
    ? (identities.find((i) => `identity:${i.name}` === who)?.workflowClass ?? "")
    : typedClass.trim();
  const usd = simulatorUsd(estimate);
  const tokenCount = tokens.trim() === "" ? null : /^\d{1,15}$/.test(tokens.trim()) ? Number(tokens.trim()) : NaN;

  const outcome = (() => {
    if ("error" in against) return { error: against.error };
    const checked = decidableRules(against.drafts);
    if (!checked.ok) return { error: checked.message };
    if (!action.trim() || !usd.ok || Number.isNaN(tokenCount)) return null;
    return {
      decision: decideAction(
        checked.rules,
        { action: action.trim(), workflowClass, estimate: { usd: usd.micros, tokens: tokenCount } },
        against.defaultEffect as ActionEffect,
      ),
      defaultEffect: against.defaultEffect,
    };
  })();

  return (
    <div className="space-y-4">
      {draft ? (
        <fieldset className="flex flex-wrap gap-4 text-sm">
          <legend className="sr-only">Rules to try</legend>
          <label className="flex items-center gap-2">
            <input type="radio" name="sim-against" checked={useDraft} onChange={() => setUseDraft(true)} />
            The draft (unsaved)
          </label>
          <label className="flex items-center gap-2">
            <input type="radio" name="sim-against" checked={!useDraft} onChange={() => setUseDraft(false)} />
            The saved rules
          </label>
        </fieldset>
      ) : null}
      <div className="grid gap-3 sm:grid-cols-2 lg:grid-cols-4">
        <Field label="Who asks" htmlFor="sim-who">
          <Select id="sim-who" value={who} onChange={(e) => setWho(e.target.value)}>
            {identities.map((i) => (
              <option key={i.name} value={`identity:${i.name}`}>
                {i.name} ({i.workflowClass})
              </option>
            ))}
            <option value="class:">A class I type…</option>
          </Select>
        </Field>
        {who === "class:" ? (
          <Field label="Workflow class" htmlFor="sim-class">
            <Input
              id="sim-class"
              value={typedClass}
              onChange={(e) => setTypedClass(e.target.value)}
              list="sim-classes"
              placeholder="invoices"
            />
            <datalist id="sim-classes">
              {classes.map((c) => (
                <option key={c} value={c} />
              ))}
            </datalist>
          </Field>
        ) : null}
        <Field label="Action name" htmlFor="sim-action">
          <Input
            id="sim-action"
            value={action}
            onChange={(e) => setAction(e.target.value)}
            placeholder="payments.refund"
            className="font-mono"
          />
        </Field>
        <Field
          label="Estimate (USD)"
          htmlFor="sim-usd"
          hint="Empty: no estimate."
          error={usd.ok ? undefined : [usd.message]}
        >
          <Input
            id="sim-usd"
            value={estimate}
            onChange={(e) => setEstimate(e.target.value)}
            inputMode="decimal"
            placeholder="12.50"
          />
        </Field>
        <Field
          label="Estimate (tokens)"
          htmlFor="sim-tokens"
          error={Number.isNaN(tokenCount) ? ["A whole number of tokens."] : undefined}
        >
          <Input id="sim-tokens" value={tokens} onChange={(e) => setTokens(e.target.value)} inputMode="numeric" />
        </Field>
      </div>
      <div aria-live="polite" data-testid="simulator-answer">
        {outcome === null ? (
          <p className="text-sm text-zinc-500">Type an action name to see what the rules decide.</p>
        ) : "error" in outcome ? (
          <Alert tone="warning">Cannot simulate the draft yet: {outcome.error}</Alert>
        ) : (
          <SimulatorAnswer {...outcome} />
        )}
      </div>
    </div>
  );
}

function SimulatorAnswer({
  decision,
  defaultEffect,
}: {
  decision: ReturnType<typeof decideAction>;
  defaultEffect: ActionEffect;
}) {
  const by = decision.rule ? (
    <>
      rule <strong>{decision.rule.name}</strong> (position {(decision.rule as { position?: number }).position})
    </>
  ) : (
    <>the workspace default ({defaultEffect.replace("_", " ")}), as no enforced rule matches</>
  );
  let headline;
  if (decision.refusal === "invalid_action_name") {
    headline = <Alert tone="error">{decision.message} The agent would get 422 validation_failed.</Alert>;
  } else if (decision.refusal === "estimate_required") {
    headline = (
      <Alert tone="error">
        Refused with 422 validation_failed by {by}: it requires an estimate (estimate.usd). Nothing is recorded.
      </Alert>
    );
  } else if (decision.effect === "deny") {
    headline = (
      <Alert tone="error">
        Denied (403 action_denied) by {by}. The agent is told: “{decision.message}”
      </Alert>
    );
  } else if (decision.effect === "require_approval") {
    headline = (
      <Alert tone="warning">
        Pending approval (202) by {by}: {decision.requiredApprovals === 2 ? "two different people" : "one person"} must
        approve within {formatDuration(decision.approvalTimeoutSeconds)}, then the agent has{" "}
        {formatDuration(decision.completionTimeoutSeconds)} to complete it.
      </Alert>
    );
  } else {
    headline = (
      <Alert tone="success">
        Allowed (201) by {by}. The agent has {formatDuration(decision.completionTimeoutSeconds)} to complete it.
      </Alert>
    );
  }
  return (
    <div className="space-y-2">
      {headline}
      {decision.shadow.length ? (
        <div className="text-sm">
          <p className="font-medium">Shadow rules (recorded, never applied)</p>
          <ul className="mt-1 space-y-1" aria-label="Shadow verdicts">
            {decision.shadow.map((s) => (
              <li key={s.rule.name} className="flex flex-wrap items-center gap-2">
                <span>{s.rule.name}</span> would have been
                <Badge tone={VERDICT_TONE[s.wouldBe]}>{VERDICT_LABEL[s.wouldBe]}</Badge>
              </li>
            ))}
          </ul>
        </div>
      ) : null}
      <p className="text-xs text-zinc-500">Rate limits and spend budgets are not simulated.</p>
    </div>
  );
}
