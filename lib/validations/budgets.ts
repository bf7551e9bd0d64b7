import { z } from "zod";
import { reasonSchema, timeZoneSchema, workspaceSlugSchema } from "./common";

const optionalLimit = z
  .string()
  .trim()
  .optional()
  .transform((v, ctx) => {
    if (!v) return null;
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1 || n > 2_000_000_000) {
      ctx.addIssue({ code: "custom", message: "A whole number above 0, or empty for unlimited." });
      return z.NEVER;
    }
    return n;
  });

export const budgetSettingsSchema = z.object({
  workspace: workspaceSlugSchema,
  dailyRequestLimit: optionalLimit,
  degradeAtPercent: z.coerce
    .number({ message: "A percentage." })
    .int("A whole percentage.")
    .min(1, "At least 1%.")
    .max(100, "At most 100%."),
  stopMessage: z
    .string()
    .trim()
    .max(500)
    .optional()
    .transform((v) => v || null),
  timeZone: timeZoneSchema,
  reason: reasonSchema,
});

export const killSwitchSchema = z.object({
  workspace: workspaceSlugSchema,
  on: z.enum(["true", "false"]).transform((v) => v === "true"),
  reason: reasonSchema,
});

export const writeCeilingSchema = z.object({
  workspace: workspaceSlugSchema,
  credentialId: z.string().min(1),
  ceiling: optionalLimit,
  reason: reasonSchema,
});
