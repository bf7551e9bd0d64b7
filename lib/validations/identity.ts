import { z } from "zod";
import { ACCESS_LEVELS, checkGrantPattern, isNamespaceName } from "@/lib/core/grants";
import { reasonSchema, workspaceSlugSchema } from "./common";

const optionalText = (max: number) =>
  z
    .string()
    .trim()
    .max(max)
    .optional()
    .transform((v) => v || undefined);

/** Form fields arrive as strings; "" means "not set". */
const optionalPositiveInt = (label: string) =>
  z
    .union([z.number(), z.string()])
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v === "") return null;
      const n = typeof v === "number" ? v : Number(v);
      if (!Number.isInteger(n) || n <= 0 || n > 2_000_000_000) {
        ctx.addIssue({ code: "custom", message: `${label} must be a whole number above 0.` });
        return z.NEVER;
      }
      return n;
    });

const numberField = (label: string, opts: { min: number; int?: boolean; max?: number }) =>
  z.coerce
    .number({ message: `${label} must be a number.` })
    .refine((n) => Number.isFinite(n) && (!opts.int || Number.isInteger(n)), `${label} must be a whole number.`)
    .refine((n) => n >= opts.min, `${label} must be at least ${opts.min}.`)
    .refine((n) => opts.max === undefined || n <= opts.max, `${label} must be at most ${opts.max}.`);

export const namespaceNameSchema = z
  .string()
  .trim()
  .refine(
    isNamespaceName,
    "Use 1–128 characters: lowercase segments of letters, digits, - and _, joined by dots (billing.runs).",
  );

export const resourceNameSchema = z
  .string()
  .trim()
  .regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, "Use 1–63 lowercase letters, digits, - and _, starting with a letter or digit.");

export const namespaceFieldsSchema = z
  .object({
    description: optionalText(500),
    defaultTtlSeconds: optionalPositiveInt("Default TTL"),
    maxTtlSeconds: optionalPositiveInt("Maximum TTL"),
  })
  .refine((v) => v.defaultTtlSeconds == null || v.maxTtlSeconds == null || v.defaultTtlSeconds <= v.maxTtlSeconds, {
    path: ["defaultTtlSeconds"],
    message: "The default TTL cannot exceed the maximum TTL.",
  });

export const createNamespaceSchema = z
  .object({ workspace: workspaceSlugSchema, name: namespaceNameSchema })
  .and(namespaceFieldsSchema);
export const updateNamespaceSchema = z
  .object({ workspace: workspaceSlugSchema, namespaceId: z.string().min(1), reason: optionalText(500) })
  .and(namespaceFieldsSchema);

const errorList = z
  .union([z.string(), z.array(z.string())])
  .optional()
  .transform((v) => (Array.isArray(v) ? v : (v ?? "").split(",")).map((s) => s.trim()).filter(Boolean))
  .pipe(
    z.array(z.string().regex(/^[A-Za-z0-9_.:-]{1,64}$/, "Error types are 1–64 letters, digits, _ . : or -.")).max(50),
  );

export const retryPolicySchema = z
  .object({
    maxAttempts: numberField("Max attempts", { min: 1, int: true, max: 1000 }),
    initialIntervalMs: numberField("Initial interval", { min: 1, int: true, max: 86_400_000 }),
    backoffCoefficient: numberField("Backoff coefficient", { min: 1, max: 100 }),
    maxIntervalMs: numberField("Max interval", { min: 1, int: true, max: 604_800_000 }),
    nonRetryableErrors: errorList,
    heartbeatTimeoutSeconds: numberField("Heartbeat timeout", { min: 1, int: true, max: 604_800 }),
  })
  .refine((v) => v.maxIntervalMs >= v.initialIntervalMs, {
    path: ["maxIntervalMs"],
    message: "The max interval cannot be shorter than the initial interval.",
  });
export type RetryPolicyInput = z.output<typeof retryPolicySchema>;

export const createWorkflowClassSchema = z
  .object({ workspace: workspaceSlugSchema, name: resourceNameSchema, description: optionalText(500) })
  .and(retryPolicySchema);
export const updateWorkflowClassSchema = z
  .object({ workspace: workspaceSlugSchema, classId: z.string().min(1), reason: optionalText(500) })
  .and(retryPolicySchema);

export const grantPatternSchema = z
  .string()
  .trim()
  .superRefine((pattern, ctx) => {
    const check = checkGrantPattern(pattern);
    if (!check.valid) ctx.addIssue({ code: "custom", message: check.message });
  });

export const grantSchema = z.object({ pattern: grantPatternSchema, access: z.enum(ACCESS_LEVELS) });

/** `billing.*:readwrite` as the CLI and the grants textarea write them, one per line. */
export const grantLinesSchema = z
  .string()
  .transform((text, ctx) => {
    const grants: { pattern: string; access: string }[] = [];
    for (const [i, raw] of text.split(/\r?\n/).entries()) {
      const line = raw.trim();
      if (!line) continue;
      const [pattern, access = "", ...rest] = line.split(":");
      if (rest.length) {
        ctx.addIssue({ code: "custom", message: `Line ${i + 1}: use pattern:access, e.g. billing.*:readwrite.` });
        continue;
      }
      grants.push({ pattern: pattern!.trim(), access: access.trim() });
    }
    return grants;
  })
  .pipe(
    z
      .array(grantSchema)
      .max(100, "At most 100 grants.")
      .refine((g) => new Set(g.map((x) => x.pattern)).size === g.length, "Each pattern may appear once."),
  );

export const createIdentitySchema = z.object({
  workspace: workspaceSlugSchema,
  name: resourceNameSchema,
  workflowClass: resourceNameSchema,
  description: optionalText(500),
  grants: grantLinesSchema,
});

export const setGrantsSchema = z.object({
  workspace: workspaceSlugSchema,
  identityId: z.string().min(1),
  grants: grantLinesSchema,
  reason: reasonSchema,
});

export const setIdentityStatusSchema = z.object({
  workspace: workspaceSlugSchema,
  identityId: z.string().min(1),
  status: z.enum(["active", "disabled"]),
  reason: reasonSchema,
});

export const issueCredentialSchema = z.object({
  workspace: workspaceSlugSchema,
  identityId: z.string().min(1),
  expiresInSeconds: numberField("Lifetime", { min: 1, int: true }),
  dailyWriteCeiling: optionalPositiveInt("Daily write ceiling"),
});

export const revokeCredentialSchema = z.object({
  workspace: workspaceSlugSchema,
  credentialId: z.string().min(1),
  reason: reasonSchema,
});

export const rotateCredentialSchema = z.object({
  workspace: workspaceSlugSchema,
  credentialId: z.string().min(1),
  overlapSeconds: numberField("Overlap", { min: 0, int: true, max: 7 * 86400 }),
  reason: reasonSchema,
});

/** What issuing or rotating a key returns to the dashboard: the key in clear, shown this once. */
export type IssuedKey = { id: string; key: string; prefix: string; expiresAt: string };

export const simulateAccessSchema = z.object({
  namespace: z.string().trim().max(200),
  operation: z.enum(["read", "write"]),
});

const webhookUrl = z
  .string()
  .trim()
  .max(2000)
  .optional()
  .transform((v) => v || null)
  .refine((v) => v === null || /^https?:\/\/[^\s]+$/.test(v), "Use an http(s) URL.");

export const notificationsSchema = z.object({
  workspace: workspaceSlugSchema,
  classId: z.string().min(1),
  webhookUrl,
  webhookUrlTier2: webhookUrl,
  ackDeadlineSeconds: optionalPositiveInt("Acknowledgement deadline"),
  newSecret: z
    .string()
    .optional()
    .transform((v) => v === "on"),
  reason: optionalText(500),
});
