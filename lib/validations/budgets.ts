import { z } from "zod";
import { parseUsd } from "@/lib/core/money";
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

/**
 * A spend limit as people write it (the Budgets page, the CLI): a USD amount (exact, ≤ 6 decimals,
 * lib/core/money.ts) or a whole number of tokens; empty or "none" clears it (unlimited → null).
 */
const MAX_TOKEN_LIMIT = 10n ** 15n;

function spendLimitField(kind: "usd" | "tokens") {
  return z
    .string()
    .trim()
    .optional()
    .transform((v, ctx): bigint | null => {
      if (!v || v === "none") return null;
      if (kind === "usd") {
        const parsed = parseUsd(v);
        if (parsed.ok) return parsed.micros;
        ctx.addIssue({ code: "custom", message: `${parsed.message} Empty or "none" for unlimited.` });
        return z.NEVER;
      }
      if (!/^(0|[1-9]\d{0,15})$/.test(v) || BigInt(v) > MAX_TOKEN_LIMIT) {
        ctx.addIssue({ code: "custom", message: 'A whole number of tokens up to 10^15, or empty or "none" for unlimited.' });
        return z.NEVER;
      }
      return BigInt(v);
    });
}
export const usdLimitSchema = spendLimitField("usd");
export const tokenLimitSchema = spendLimitField("tokens");

/** The workspace's spend budgets, all three at once (the Budgets page's form). */
export const workspaceSpendLimitsSchema = z.object({
  workspace: workspaceSlugSchema,
  dailyUsd: usdLimitSchema,
  monthlyUsd: usdLimitSchema,
  dailyTokens: tokenLimitSchema,
  reason: reasonSchema,
});

/** One class's or one key's daily USD budget. */
export const scopedSpendLimitSchema = z.object({
  workspace: workspaceSlugSchema,
  id: z.string().min(1),
  dailyUsd: usdLimitSchema,
  reason: reasonSchema,
});
