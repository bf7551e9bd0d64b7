import { z } from "zod";
import { checkJsonValue, MAX_VALUE_BYTES } from "@/lib/core/kv";
import { workspaceSlugSchema } from "./common";

export const noteSchema = z
  .string()
  .trim()
  .min(3, "Write a note for the next person (at least a few words).")
  .max(2000);

export const escalationActionSchema = z.object({
  workspace: workspaceSlugSchema,
  escalationId: z.string().min(1).max(64),
  note: noteSchema,
});

export const reassignSchema = escalationActionSchema.extend({ assigneeUserId: z.string().min(1).max(64) });

/** The operator's output for "resolve with output": JSON text, parsed and checked like any stored value. */
export const resolveSchema = escalationActionSchema.extend({
  output: z
    .string()
    .max(MAX_VALUE_BYTES)
    .transform((text, ctx) => {
      try {
        const value: unknown = JSON.parse(text);
        const check = checkJsonValue(value);
        if (!check.ok) {
          ctx.addIssue({ code: "custom", message: check.message });
          return z.NEVER;
        }
        return value;
      } catch {
        ctx.addIssue({ code: "custom", message: 'Enter valid JSON, e.g. {"approved": true}.' });
        return z.NEVER;
      }
    }),
});

export const bulkSchema = z.object({
  workspace: workspaceSlugSchema,
  action: z.enum(["redrive", "cancel"]),
  ids: z
    .string()
    .transform((s) =>
      s
        .split(",")
        .map((x) => x.trim())
        .filter(Boolean),
    )
    .pipe(z.array(z.string().min(1).max(64)).min(1, "Select at least one escalation.").max(200)),
  note: noteSchema,
});
