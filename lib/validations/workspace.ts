import { z } from "zod";
import { ACTION_EFFECTS } from "@/lib/core/action-rules";
import { timeZoneSchema, workspaceSlugSchema } from "./common";

export const workspaceSettingsSchema = z.object({
  name: z.string().trim().min(1).max(100).optional(),
  /** null = unlimited */
  dailyRequestLimit: z.number().int().positive().max(2_000_000_000).nullable().optional(),
  degradeAtPercent: z.number().int().min(1).max(100).optional(),
  stopMessage: z.string().trim().max(500).nullable().optional(),
  timeZone: timeZoneSchema.optional(),
  killSwitch: z.boolean().optional(),
  /** What decides an action no enforce rule matches (new workspaces: deny). */
  defaultActionEffect: z.enum(ACTION_EFFECTS, { message: "Choose allow, deny or require_approval." }).optional(),
  /** Longest lifetime of an API key in this workspace (1 second to 365 days). */
  maxKeyTtlSeconds: z
    .number()
    .int()
    .min(1)
    .max(365 * 86400)
    .optional(),
});
export type WorkspaceSettings = z.infer<typeof workspaceSettingsSchema>;

export const createWorkspaceSchema = workspaceSettingsSchema.extend({ slug: workspaceSlugSchema });
export type CreateWorkspaceInput = z.infer<typeof createWorkspaceSchema>;
