import { z } from "zod";
import { ACTION_EFFECTS, isActionName, REQUIRED_APPROVALS, RULE_MODES } from "@/lib/core/action-rules";
import { ACTION_STATUSES } from "@/lib/core/actions";
import { checkGrantPattern } from "@/lib/core/grants";
import { MAX_USD, parseUsd } from "@/lib/core/money";
import { jsonValueSchema } from "./common";

/**
 * Actions (API.md "Actions — ask before acting"): the agent's request bodies, the action it is
 * answered with, and a rule as people write it (the dashboard's form and the CLI). Amounts arrive
 * as numbers (the API) or decimal strings (forms, the CLI) and are checked by lib/core/money.ts:
 * exact, ≥ 0, at most 6 decimals.
 */

/** Arguments, a result: JSON of at most 64 KiB (as UTF-8). */
export const MAX_ACTION_JSON_BYTES = 64 * 1024;

const tokenCount = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
const boundedJson = jsonValueSchema.superRefine((value, ctx) => {
  if (Buffer.byteLength(JSON.stringify(value), "utf8") > MAX_ACTION_JSON_BYTES)
    ctx.addIssue({ code: "custom", message: "at most 64 KiB of JSON" });
});

export const costSchema = z
  .object({ usd: z.number().min(0).max(MAX_USD).optional(), tokens: tokenCount.optional() })
  .strict()
  .superRefine((cost, ctx) => {
    if (cost.usd === undefined) return;
    const parsed = parseUsd(cost.usd);
    if (!parsed.ok) ctx.addIssue({ code: "custom", path: ["usd"], message: parsed.message });
  });

export const actionNameSchema = z
  .string()
  .min(1)
  .max(128)
  .refine(isActionName, "an action name: lowercase segments separated by dots, such as payments.refund");

export const requestActionBodySchema = z
  .object({
    action: actionNameSchema,
    summary: z.string().max(500).optional(),
    resource: z.string().max(512).optional(),
    arguments: boundedJson.optional(),
    estimate: costSchema.optional(),
    taskId: z.string().min(1).max(64).optional(),
  })
  .strict();
export type RequestActionBody = z.infer<typeof requestActionBodySchema>;

export const completeActionBodySchema = z
  .object({
    outcome: z.enum(["succeeded", "failed"]),
    actual: costSchema.optional(),
    result: boundedJson.optional(),
    error: z
      .object({ type: z.string().min(1).max(64), message: z.string().max(2000) })
      .strict()
      .optional(),
  })
  .strict();
export type CompleteActionBody = z.infer<typeof completeActionBodySchema>;

export const cancelActionBodySchema = z.object({ reason: z.string().min(1).max(500).optional() }).strict();

// ——— the action, as answered ———

const isoTime = z.iso.datetime().describe("ISO-8601 UTC time");
const costResponse = z.strictObject({ usd: z.number().min(0).nullable(), tokens: z.number().int().min(0).nullable() });

export const actionResponseSchema = z.strictObject({
  id: z.string(),
  action: z.string(),
  status: z.enum(ACTION_STATUSES),
  summary: z.string().nullable(),
  resource: z.string().nullable(),
  arguments: jsonValueSchema.nullable(),
  approvedArguments: jsonValueSchema.nullable().describe("An approver's edit of the arguments: use these if set"),
  estimate: costResponse,
  actual: costResponse.nullable(),
  overrun: z.boolean(),
  rule: z
    .strictObject({ id: z.string(), name: z.string(), effect: z.enum(ACTION_EFFECTS), mode: z.enum(RULE_MODES) })
    .nullable()
    .describe("The rule that decided (a copy as it was then); null when the workspace's default did"),
  shadow: z.array(
    z.strictObject({
      rule: z.strictObject({ id: z.string(), name: z.string() }),
      wouldBe: z.enum(["allowed", "denied", "pending_approval"]),
    }),
  ),
  approvals: z.array(
    z.strictObject({
      by: z.strictObject({
        type: z.enum(["user", "cli"]),
        id: z.string(),
        name: z.string().nullable(),
        via: z.literal("cli").optional(),
      }),
      decision: z.enum(["approve", "reject"]),
      reason: z.string(),
      at: isoTime,
    }),
  ),
  requiredApprovals: z.number().int().min(1).max(2),
  expiresAt: isoTime.nullable().describe("pending: the approval deadline; allowed: the completion deadline"),
  result: jsonValueSchema.nullable(),
  error: z.strictObject({ type: z.string(), message: z.string() }).nullable(),
  taskId: z.string().nullable(),
  correlationId: z.string(),
  createdAt: isoTime,
  updatedAt: isoTime,
});
export type ActionResponse = z.infer<typeof actionResponseSchema>;

// ——— a rule, as people write it ———

const optionalUsd = z
  .union([z.number(), z.string()])
  .nullish()
  .transform((value, ctx) => {
    if (value === undefined || value === null || value === "") return null;
    const parsed = parseUsd(typeof value === "string" ? value.trim() : value);
    if (!parsed.ok) {
      ctx.addIssue({ code: "custom", message: parsed.message });
      return z.NEVER;
    }
    return parsed.micros;
  });

const seconds = (label: string) =>
  z
    .number()
    .int(`${label} is a whole number of seconds.`)
    .min(1, `${label} is at least 1 second.`)
    .max(30 * 24 * 3600, `${label} is at most 30 days.`);

export const ruleInputSchema = z
  .object({
    name: z
      .string()
      .trim()
      .regex(/^[A-Za-z0-9][A-Za-z0-9 _.*-]{0,79}$/, "Name the rule with 1–80 letters, digits, spaces, dots, dashes."),
    action: z
      .string()
      .trim()
      .superRefine((pattern, ctx) => {
        const check = checkGrantPattern(pattern);
        if (!check.valid)
          ctx.addIssue({
            code: "custom",
            message: `A pattern: an action name (payments.refund), prefix.* (payments.*) or *. ${check.message}`,
          });
      }),
    workflowClass: z
      .string()
      .trim()
      .max(128)
      .nullish()
      .transform((v) => v || null),
    minEstimateUsd: optionalUsd,
    maxEstimateUsd: optionalUsd,
    effect: z.enum(ACTION_EFFECTS, { message: "Choose allow, deny or require_approval." }),
    mode: z.enum(RULE_MODES, { message: "Choose enforce or shadow." }).default("enforce"),
    message: z
      .string()
      .trim()
      .max(500, "Keep the message under 500 characters.")
      .nullish()
      .transform((v) => v || null),
    approvalTimeoutSeconds: seconds("The approval timeout").default(3600),
    completionTimeoutSeconds: seconds("The completion timeout").default(900),
    requiredApprovals: z
      .union(REQUIRED_APPROVALS.map((n) => z.literal(n)) as [z.ZodLiteral<1>, z.ZodLiteral<2>], {
        message: "One or two approvals.",
      })
      .default(1),
    requireEstimate: z.boolean().default(false),
    rateLimitCount: z
      .number()
      .int()
      .min(1, "A rate limit is at least 1 action.")
      .nullish()
      .transform((v) => v ?? null),
    rateLimitUsd: optionalUsd,
  })
  .strict()
  .superRefine((rule, ctx) => {
    if (rule.minEstimateUsd !== null && rule.maxEstimateUsd !== null && rule.minEstimateUsd > rule.maxEstimateUsd)
      ctx.addIssue({ code: "custom", path: ["maxEstimateUsd"], message: "The maximum is below the minimum." });
    if (rule.effect === "deny" && rule.maxEstimateUsd !== null)
      ctx.addIssue({ code: "custom", path: ["maxEstimateUsd"], message: "A deny rule denies at any estimate." });
    if (rule.requiredApprovals === 2 && rule.effect !== "require_approval")
      ctx.addIssue({
        code: "custom",
        path: ["requiredApprovals"],
        message: "Two approvals only apply to a require_approval rule.",
      });
  });
export type RuleInput = z.output<typeof ruleInputSchema>;
