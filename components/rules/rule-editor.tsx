"use client";

import { useState, type ReactNode } from "react";
import type { ActionState, FormAction } from "@/lib/action-state";
import { ACTION_EFFECTS } from "@/lib/core/action-rules";
import type { FieldErrors, RuleFormFields } from "@/lib/validations/rule-draft";
import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { Field, Input, Select, Textarea } from "@/components/ui/field";
import { useServerForm } from "@/components/ui/use-server-form";
import { EFFECT_LABEL, MAX_WITHOUT_ESTIMATE_WARNING } from "./rule-format";

/**
 * The add / edit form of a rule. Its fields are held by the page (`fields`), so the simulator and
 * the impact preview can try the draft while it is typed; saving goes through the server action,
 * which checks everything again.
 */
export function RuleEditor({
  workspace,
  ruleId,
  title,
  fields,
  onChange,
  localErrors,
  classes,
  action,
  onSaved,
  onCancel,
  preview,
}: {
  workspace: string;
  /** null: a new rule. */
  ruleId: string | null;
  title: string;
  fields: RuleFormFields & { position: string };
  onChange: (fields: RuleFormFields & { position: string }) => void;
  /** Errors found in the browser as the draft is typed (shown until the server answers). */
  localErrors: FieldErrors;
  classes: string[];
  action: FormAction;
  onSaved: (state: ActionState) => void;
  onCancel: () => void;
  preview: ReactNode;
}) {
  // A fresh form is not "wrong": the rule's errors show once it is touched or submitted.
  const [touched, setTouched] = useState(false);
  const { state, pending, onSubmit } = useServerForm(async (previous: ActionState | undefined, data: FormData) => {
    const result = await action(previous, data);
    if (result.ok) onSaved(result);
    return result;
  });
  // The rule's fields are checked here as they are typed, by the same parseRuleForm the server runs, so
  // those errors are always current; the server alone knows the reason and the position.
  const errors: FieldErrors = {
    ...(touched ? localErrors : {}),
    reason: state?.fieldErrors?.reason,
    position: state?.fieldErrors?.position,
  };
  const set =
    <K extends keyof typeof fields>(name: K) =>
    (value: (typeof fields)[K]) => {
      setTouched(true);
      onChange({ ...fields, [name]: value });
    };
  const id = (name: string) => `rule-${name}`;
  type TextField = Exclude<keyof typeof fields, "requireEstimate">;
  type TextProps = { hint?: string; placeholder?: string; inputMode?: "decimal" | "numeric"; mono?: boolean };
  const text = (name: TextField, label: string, props: TextProps = {}) => (
    <Field label={label} htmlFor={id(name)} error={errors[name]} hint={props.hint}>
      <Input
        id={id(name)}
        name={name}
        value={fields[name]}
        onChange={(e) => set(name)(e.target.value)}
        placeholder={props.placeholder}
        inputMode={props.inputMode}
        className={props.mono ? "font-mono" : undefined}
        aria-invalid={errors[name]?.length ? true : undefined}
      />
    </Field>
  );
  const maxWarning = fields.maxEstimateUsd.trim() !== "" && !fields.requireEstimate && fields.effect !== "deny";

  return (
    <form
      onSubmit={(event) => {
        setTouched(true);
        onSubmit(event);
      }}
      className="space-y-4"
      noValidate
      aria-label={title}
    >
      <input type="hidden" name="workspace" value={workspace} />
      {ruleId ? <input type="hidden" name="ruleId" value={ruleId} /> : null}
      {state?.message && !state.ok ? <Alert tone="error">{state.message}</Alert> : null}
      <div className="grid gap-4 sm:grid-cols-2 lg:grid-cols-3">
        {text("name", "Name", { placeholder: "refunds" })}
        {text("action", "Action pattern", { placeholder: "payments.*", hint: "A name, prefix.* or *", mono: true })}
        <Field
          label="Workflow class"
          htmlFor={id("workflowClass")}
          error={errors.workflowClass}
          hint="Empty: every class."
        >
          <Select
            id={id("workflowClass")}
            name="workflowClass"
            value={fields.workflowClass}
            onChange={(e) => set("workflowClass")(e.target.value)}
          >
            <option value="">Every class</option>
            {classes.map((c) => (
              <option key={c} value={c}>
                {c}
              </option>
            ))}
            {fields.workflowClass && !classes.includes(fields.workflowClass) ? (
              <option value={fields.workflowClass}>{fields.workflowClass}</option>
            ) : null}
          </Select>
        </Field>
        <Field label="Effect" htmlFor={id("effect")} error={errors.effect}>
          <Select id={id("effect")} name="effect" value={fields.effect} onChange={(e) => set("effect")(e.target.value)}>
            {ACTION_EFFECTS.map((effect) => (
              <option key={effect} value={effect}>
                {EFFECT_LABEL[effect]}
              </option>
            ))}
          </Select>
        </Field>
        <Field
          label="Mode"
          htmlFor={id("mode")}
          error={errors.mode}
          hint="Shadow: the verdict is recorded, never applied."
        >
          <Select id={id("mode")} name="mode" value={fields.mode} onChange={(e) => set("mode")(e.target.value)}>
            <option value="enforce">enforce</option>
            <option value="shadow">shadow</option>
          </Select>
        </Field>
        {ruleId === null
          ? text("position", "Position", {
              hint: "1 puts it first. Empty: last.",
              inputMode: "numeric",
            })
          : null}
        {text("minEstimateUsd", "Minimum estimate (USD)", {
          hint: "Matches only at or above it.",
          inputMode: "decimal",
          placeholder: "none",
        })}
        {text("maxEstimateUsd", "Maximum estimate (USD)", {
          hint: "Above it, the rule denies.",
          inputMode: "decimal",
          placeholder: "none",
        })}
        <Field
          label="Required approvals"
          htmlFor={id("requiredApprovals")}
          error={errors.requiredApprovals}
          hint="Two means two different people."
        >
          <Select
            id={id("requiredApprovals")}
            name="requiredApprovals"
            value={fields.requiredApprovals}
            onChange={(e) => set("requiredApprovals")(e.target.value)}
          >
            <option value="1">1</option>
            <option value="2">2</option>
          </Select>
        </Field>
        {text("approvalTimeout", "Approval timeout", { hint: "Such as 30m, 1h, 2d.", placeholder: "1h" })}
        {text("completionTimeout", "Completion timeout", {
          hint: "From the moment it is allowed.",
          placeholder: "15m",
        })}
        {text("rateLimitCount", "Rate limit (actions per hour)", {
          hint: "Per identity. Empty: none.",
          inputMode: "numeric",
          placeholder: "none",
        })}
        {text("rateLimitUsd", "Rate limit (USD per hour)", {
          hint: "Per identity. Empty: none.",
          inputMode: "decimal",
          placeholder: "none",
        })}
      </div>
      <label className="flex items-start gap-2 text-sm">
        <input
          type="checkbox"
          name="requireEstimate"
          checked={fields.requireEstimate}
          onChange={(e) => set("requireEstimate")(e.target.checked)}
          className="mt-0.5"
        />
        <span>
          Require an estimate
          <span className="block text-xs text-zinc-500">
            A request without estimate.usd is refused (422) instead of decided.
          </span>
        </span>
      </label>
      {maxWarning ? <Alert tone="warning">{MAX_WITHOUT_ESTIMATE_WARNING}</Alert> : null}
      <Field
        label="Message to the agent"
        htmlFor={id("message")}
        error={errors.message}
        hint="Told to the agent on deny."
      >
        <Textarea
          id={id("message")}
          name="message"
          rows={2}
          value={fields.message}
          onChange={(e) => set("message")(e.target.value)}
        />
      </Field>
      {preview}
      <Field label="Reason" htmlFor={id("reason")} error={errors.reason} hint="Recorded in the audit trail.">
        <Input id={id("reason")} name="reason" />
      </Field>
      <div className="flex flex-wrap gap-2">
        <Button type="submit" disabled={pending}>
          {pending ? "Saving…" : ruleId ? "Save rule" : "Add rule"}
        </Button>
        <Button variant="secondary" onClick={onCancel}>
          Cancel
        </Button>
      </div>
    </form>
  );
}
