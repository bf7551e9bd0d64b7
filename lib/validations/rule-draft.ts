import { z } from "zod";
import { ACTION_EFFECTS, type ActionRule } from "@/lib/core/action-rules";
import { formatDuration, parseDuration } from "@/lib/core/duration";
import { formatUsdDecimal, parseUsd } from "@/lib/core/money";
// A type only: the module itself is server-only.
import type { RuleJson } from "@/lib/server/actions/rules";
import { ruleInputSchema, type RuleInput } from "./actions";
import { reasonSchema, workspaceSlugSchema } from "./common";

/**
 * A rule as the dashboard's form holds it, and a draft rule set as the Rules page sends it to the
 * replay. Everything here is plain data and runs in the browser too (the simulator tries a draft
 * there with `decideAction`), so amounts travel as decimal strings and become micro-dollar
 * `bigint`s only on arrival: a `bigint` cannot cross the server/client boundary, a float must not
 * carry money. The one validation is `ruleInputSchema`; this file only translates to and from it.
 */

/** The form's fields: text as typed. Timeouts are durations (`1h`, `15m`); USD amounts decimal strings. */
export type RuleFormFields = {
  name: string;
  action: string;
  workflowClass: string;
  minEstimateUsd: string;
  maxEstimateUsd: string;
  effect: string;
  mode: string;
  message: string;
  approvalTimeout: string;
  completionTimeout: string;
  requiredApprovals: string;
  requireEstimate: boolean;
  rateLimitCount: string;
  rateLimitUsd: string;
};
export const RULE_FORM_FIELDS = [
  "name",
  "action",
  "workflowClass",
  "minEstimateUsd",
  "maxEstimateUsd",
  "effect",
  "mode",
  "message",
  "approvalTimeout",
  "completionTimeout",
  "requiredApprovals",
  "requireEstimate",
  "rateLimitCount",
  "rateLimitUsd",
] as const satisfies readonly (keyof RuleFormFields)[];

export type FieldErrors = Partial<Record<keyof RuleFormFields | "reason" | "position", string[]>>;

export const EMPTY_RULE_FORM: RuleFormFields = {
  name: "",
  action: "",
  workflowClass: "",
  minEstimateUsd: "",
  maxEstimateUsd: "",
  effect: "allow",
  mode: "enforce",
  message: "",
  approvalTimeout: "1h",
  completionTimeout: "15m",
  requiredApprovals: "1",
  requireEstimate: false,
  rateLimitCount: "",
  rateLimitUsd: "",
};

const usdText = (usd: number | null) => (usd === null ? "" : String(usd));

/** A saved rule (its JSON) as the form shows it. */
export function ruleFormFromJson(rule: RuleJson): RuleFormFields {
  return {
    name: rule.name,
    action: rule.action,
    workflowClass: rule.workflowClass ?? "",
    minEstimateUsd: usdText(rule.minEstimateUsd),
    maxEstimateUsd: usdText(rule.maxEstimateUsd),
    effect: rule.effect,
    mode: rule.mode,
    message: rule.message ?? "",
    approvalTimeout: formatDuration(rule.approvalTimeoutSeconds),
    completionTimeout: formatDuration(rule.completionTimeoutSeconds),
    requiredApprovals: String(rule.requiredApprovals),
    requireEstimate: rule.requireEstimate,
    rateLimitCount: rule.rateLimit?.actions == null ? "" : String(rule.rateLimit.actions),
    rateLimitUsd: usdText(rule.rateLimit?.usd ?? null),
  };
}

/** ruleInputSchema's field names → the form's (only the timeouts differ). */
const FORM_FIELD_OF: Record<string, keyof RuleFormFields> = {
  approvalTimeoutSeconds: "approvalTimeout",
  completionTimeoutSeconds: "completionTimeout",
};

export type RuleFormParse = { ok: true; rule: RuleInput } | { ok: false; fieldErrors: FieldErrors };

/**
 * The form's text to a rule, through `ruleInputSchema`, with every field's error at once (a
 * duration that does not parse is reported beside the schema's own errors, not instead of them).
 */
export function parseRuleForm(fields: Partial<Record<keyof RuleFormFields, unknown>>): RuleFormParse {
  const text = (name: keyof RuleFormFields) =>
    typeof fields[name] === "string" ? (fields[name] as string).trim() : "";
  const fieldErrors: FieldErrors = {};
  const add = (field: keyof FieldErrors, message: string) => (fieldErrors[field] ??= []).push(message);

  const duration = (name: "approvalTimeout" | "completionTimeout", label: string, fallback: number) => {
    const value = text(name);
    if (value === "") return fallback;
    const seconds = parseDuration(value);
    if (seconds === null) add(name, `${label}: a duration such as 30s, 15m, 1h or 2d.`);
    return seconds ?? fallback;
  };
  const approvalTimeoutSeconds = duration("approvalTimeout", "The approval timeout", 3600);
  const completionTimeoutSeconds = duration("completionTimeout", "The completion timeout", 900);

  const count = text("rateLimitCount");
  let rateLimitCount: number | null = null;
  if (count !== "") {
    if (/^\d{1,9}$/.test(count)) rateLimitCount = Number(count);
    else add("rateLimitCount", "A whole number of actions per hour, or empty for no limit.");
  }
  const approvals = text("requiredApprovals") || "1";
  const requireEstimate =
    fields.requireEstimate === true || fields.requireEstimate === "on" || fields.requireEstimate === "true";

  const parsed = ruleInputSchema.safeParse({
    name: text("name"),
    action: text("action"),
    workflowClass: text("workflowClass") || null,
    minEstimateUsd: text("minEstimateUsd") || null,
    maxEstimateUsd: text("maxEstimateUsd") || null,
    effect: text("effect"),
    mode: text("mode") || "enforce",
    message: text("message") || null,
    approvalTimeoutSeconds,
    completionTimeoutSeconds,
    requiredApprovals: /^[0-9]+$/.test(approvals) ? Number(approvals) : approvals,
    requireEstimate,
    rateLimitCount,
    rateLimitUsd: text("rateLimitUsd") || null,
  });
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const key = String(issue.path[0] ?? "name");
      const field = (FORM_FIELD_OF[key] ?? key) as keyof FieldErrors;
      // A duration already reported as unreadable is not also reported as out of range.
      if (!fieldErrors[field]?.length) add(field, issue.message);
    }
  }
  if (!parsed.success || Object.keys(fieldErrors).length) return { ok: false, fieldErrors };
  return { ok: true, rule: parsed.data };
}

/** A rule of a draft: a saved rule's id (or none for a new one) and its fields as `ruleInputSchema` reads them. */
export type DraftRule = { id: string | null; rule: z.input<typeof ruleInputSchema> };

/** A RuleInput as a draft can carry it: amounts as exact decimal strings, never bigints or floats. */
export function draftOf(id: string | null, rule: RuleInput): DraftRule {
  const usd = (micros: bigint | null) => (micros === null ? null : formatUsdDecimal(micros));
  return {
    id,
    rule: {
      ...rule,
      minEstimateUsd: usd(rule.minEstimateUsd),
      maxEstimateUsd: usd(rule.maxEstimateUsd),
      rateLimitUsd: usd(rule.rateLimitUsd),
    },
  };
}

/** A saved rule (its JSON) as a draft. Its amounts are numbers that read back exactly (lib/core/money.ts). */
export function draftFromJson(rule: RuleJson): DraftRule {
  return {
    id: rule.id,
    rule: {
      name: rule.name,
      action: rule.action,
      workflowClass: rule.workflowClass,
      minEstimateUsd: rule.minEstimateUsd,
      maxEstimateUsd: rule.maxEstimateUsd,
      effect: rule.effect,
      mode: rule.mode,
      message: rule.message,
      approvalTimeoutSeconds: rule.approvalTimeoutSeconds,
      completionTimeoutSeconds: rule.completionTimeoutSeconds,
      requiredApprovals: rule.requiredApprovals === 2 ? 2 : 1,
      requireEstimate: rule.requireEstimate,
      rateLimitCount: rule.rateLimit?.actions ?? null,
      rateLimitUsd: rule.rateLimit?.usd ?? null,
    },
  };
}

/** A rule the matcher (`decideAction`) reads: the draft's id or a stand-in for a new rule, its place in the list. */
export type DecidableRule = ActionRule & { id: string; position: number };

/** A checked rule as `decideAction` takes it: micro-dollars as bigints, in place `position`. */
export function decidableRule(id: string, position: number, rule: RuleInput): DecidableRule {
  return {
    id,
    position,
    name: rule.name,
    action: rule.action,
    workflowClass: rule.workflowClass,
    minEstimateUsd: rule.minEstimateUsd,
    maxEstimateUsd: rule.maxEstimateUsd,
    effect: rule.effect,
    mode: rule.mode,
    message: rule.message,
    approvalTimeoutSeconds: rule.approvalTimeoutSeconds,
    completionTimeoutSeconds: rule.completionTimeoutSeconds,
    requiredApprovals: rule.requiredApprovals,
    requireEstimate: rule.requireEstimate,
    rateLimit:
      rule.rateLimitCount !== null || rule.rateLimitUsd !== null
        ? { actions: rule.rateLimitCount, usd: rule.rateLimitUsd }
        : null,
  };
}

/** The id a new (unsaved) rule goes by in a draft. */
export const NEW_RULE_ID = "new";

const draftRuleSchema = z.object({ id: z.string().max(64).nullable(), rule: z.unknown() });

/** A draft rule set, checked rule by rule, as the matcher reads it (position = place in the list). */
export function decidableRules(
  drafts: readonly DraftRule[],
): { ok: true; rules: DecidableRule[] } | { ok: false; message: string } {
  const rules: DecidableRule[] = [];
  for (const [index, entry] of drafts.entries()) {
    const parsed = ruleInputSchema.safeParse(entry.rule);
    if (!parsed.success)
      return {
        ok: false,
        message: `Rule ${index + 1} of the draft is not valid: ${parsed.error.issues[0]?.message ?? "check it"}`,
      };
    rules.push(decidableRule(entry.id ?? NEW_RULE_ID, index + 1, parsed.data));
  }
  return { ok: true, rules };
}

/** A whole draft rule set as the replay takes it (JSON in one form field), checked rule by rule. */
export const draftRulesSchema = z
  .string()
  .max(1_000_000, "The draft is too large.")
  .transform((text, ctx) => {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      ctx.addIssue({ code: "custom", message: "The draft is not JSON." });
      return z.NEVER;
    }
    const list = z.array(draftRuleSchema).max(500, "At most 500 rules.").safeParse(json);
    if (!list.success) {
      ctx.addIssue({ code: "custom", message: "The draft is a list of { id, rule }." });
      return z.NEVER;
    }
    const checked = decidableRules(list.data as DraftRule[]);
    if (!checked.ok) {
      ctx.addIssue({ code: "custom", message: checked.message });
      return z.NEVER;
    }
    return checked.rules;
  });

/** Parses a decimal amount typed into the simulator (empty: none). */
export function simulatorUsd(text: string): { ok: true; micros: bigint | null } | { ok: false; message: string } {
  if (text.trim() === "") return { ok: true, micros: null };
  const parsed = parseUsd(text.trim());
  return parsed.ok ? { ok: true, micros: parsed.micros } : parsed;
}

// ——— the server actions' forms ———

const text = z.string().optional();
const ruleFields = Object.fromEntries(RULE_FORM_FIELDS.map((f) => [f, text])) as Record<
  keyof RuleFormFields,
  typeof text
>;

type RawRuleForm = { reason?: string } & Partial<Record<keyof RuleFormFields, string>>;

/**
 * A rule's form as a server action receives it: every field is read as text and checked at once
 * (the reason too), so the person sees all that is wrong in one go.
 */
function checkRuleForm<F extends RawRuleForm>(form: F, ctx: z.RefinementCtx) {
  const reason = reasonSchema.safeParse(form.reason ?? "");
  const rule = parseRuleForm(form);
  if (!reason.success) ctx.addIssue({ code: "custom", path: ["reason"], message: reason.error.issues[0]!.message });
  if (!rule.ok)
    for (const [field, messages] of Object.entries(rule.fieldErrors))
      for (const message of messages ?? []) ctx.addIssue({ code: "custom", path: [field], message });
  if (!reason.success || !rule.ok) return z.NEVER;
  return { ...form, reason: reason.data, rule: rule.rule };
}

const position = z
  .string()
  .trim()
  .optional()
  .transform((v, ctx) => {
    if (!v) return null;
    if (!/^\d{1,6}$/.test(v) || Number(v) < 1) {
      ctx.addIssue({ code: "custom", message: "A position: 1 for first, empty for last." });
      return z.NEVER;
    }
    return Number(v);
  });

const ruleId = z.string().trim().min(1, "Choose a rule.").max(64);

export const createRuleFormSchema = z
  .object({ workspace: workspaceSlugSchema, reason: text, position, ...ruleFields })
  .transform(checkRuleForm);
export const updateRuleFormSchema = z
  .object({ workspace: workspaceSlugSchema, reason: text, ruleId, ...ruleFields })
  .transform(checkRuleForm);

export const deleteRuleFormSchema = z.object({ workspace: workspaceSlugSchema, ruleId, reason: reasonSchema });

export const moveRuleFormSchema = z.object({
  workspace: workspaceSlugSchema,
  ruleId,
  position: z.coerce.number({ message: "A position." }).int().min(1).max(100_000),
  reason: reasonSchema,
});

export const ruleModeFormSchema = z.object({
  workspace: workspaceSlugSchema,
  ruleId,
  mode: z.enum(["enforce", "shadow"], { message: "Choose enforce or shadow." }),
  reason: reasonSchema,
});

export const defaultEffectFormSchema = z.object({
  workspace: workspaceSlugSchema,
  defaultActionEffect: z.enum(ACTION_EFFECTS, { message: "Choose allow, deny or require_approval." }),
  reason: reasonSchema,
});

export const replayFormSchema = z.object({
  workspace: workspaceSlugSchema,
  draft: draftRulesSchema,
  defaultEffect: z.enum(ACTION_EFFECTS, { message: "Choose allow, deny or require_approval." }),
});
