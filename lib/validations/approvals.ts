import { z } from "zod";
import { MAX_ACTION_JSON_BYTES } from "./actions";
import { reasonSchema, workspaceSlugSchema } from "./common";

/**
 * The dashboard's forms for actions (issue #20): approve (optionally with edited arguments as
 * JSON text), reject, bulk-reject, and the on-call levers. Every decision takes a reason.
 */
const actionId = z.string().trim().min(1).max(64);

export const decisionReasonSchema = z
  .string()
  .trim()
  .min(3, "Say why, in a few words: every approval or rejection needs a reason (it goes into the audit trail).")
  .max(500, "Keep the reason under 500 characters.");

/**
 * Edited arguments as the approver typed them: empty means "as they are"; otherwise JSON of at
 * most 64 KiB. `undefined` after parsing = no edit asked for.
 */
export const editedArgumentsSchema = z
  .string()
  .max(MAX_ACTION_JSON_BYTES * 2, "At most 64 KiB of JSON.")
  .optional()
  .transform((text, ctx): { value: unknown } | undefined => {
    if (text === undefined || text.trim() === "") return undefined;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (error) {
      ctx.addIssue({
        code: "custom",
        message: `Not valid JSON (${(error as Error).message}). Fix it, or clear the box to approve the arguments as they are.`,
      });
      return z.NEVER;
    }
    if (Buffer.byteLength(JSON.stringify(value), "utf8") > MAX_ACTION_JSON_BYTES) {
      ctx.addIssue({ code: "custom", message: "At most 64 KiB of JSON." });
      return z.NEVER;
    }
    return { value };
  });

export const approveSchema = z.object({
  workspace: workspaceSlugSchema,
  actionId,
  reason: decisionReasonSchema,
  arguments: editedArgumentsSchema,
});

export const rejectSchema = z.object({ workspace: workspaceSlugSchema, actionId, reason: decisionReasonSchema });

export const bulkRejectSchema = z.object({
  workspace: workspaceSlugSchema,
  ids: z
    .string()
    .transform((s) =>
      s
        .split(",")
        .map((x) => x.trim())
        .filter(Boolean),
    )
    .pipe(z.array(actionId).min(1, "Select at least one pending approval.").max(200)),
  reason: decisionReasonSchema,
});

/** Freeze the action's exact name, or everything below its first segments (`payments.*`). */
export const freezeSchema = z.object({
  workspace: workspaceSlugSchema,
  actionId,
  scope: z.enum(["exact", "prefix"], { message: "Freeze the exact name or its prefix." }),
  reason: reasonSchema,
});

export const liftFreezeSchema = z.object({
  workspace: workspaceSlugSchema,
  pattern: z.string().trim().min(1).max(128),
  reason: reasonSchema,
});

export const disableIdentitySchema = z.object({
  workspace: workspaceSlugSchema,
  identityId: z.string().trim().min(1).max(64),
  reason: reasonSchema,
});
