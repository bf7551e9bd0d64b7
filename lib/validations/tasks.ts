import { z } from "zod";
import { AGENT_EVENT_TYPES } from "@/lib/core/tasks";
import { jsonValueSchema } from "./common";

export const createTaskBodySchema = z
  .object({
    namespace: z.string().min(1).max(128),
    input: jsonValueSchema.optional(),
    correlationId: z
      .string()
      .min(1)
      .max(128)
      .regex(/^[\x20-\x7e]+$/, "printable ASCII")
      .optional(),
  })
  .strict();

export const taskErrorSchema = z
  .object({
    type: z.string().min(1).max(64),
    message: z.string().max(2000),
    retryable: z.boolean().optional(),
  })
  .strict();

export const taskEventBodySchema = z
  .object({
    type: z.enum(AGENT_EVENT_TYPES),
    step: z.string().min(1).max(200).optional(),
    output: jsonValueSchema.optional(),
    checkpoint: jsonValueSchema.optional(),
    error: taskErrorSchema.optional(),
    reason: z.string().min(1).max(500).optional(),
  })
  .strict()
  .superRefine((body, ctx) => {
    if (body.type === "step_completed" && !body.step)
      ctx.addIssue({ code: "custom", path: ["step"], message: "step_completed requires step" });
    if (body.type === "step_failed" && !body.error)
      ctx.addIssue({ code: "custom", path: ["error"], message: "step_failed requires error" });
    if (body.type === "escalate" && !body.reason)
      ctx.addIssue({ code: "custom", path: ["reason"], message: "escalate requires reason" });
    if (body.checkpoint !== undefined && body.type !== "step_completed") {
      ctx.addIssue({ code: "custom", path: ["checkpoint"], message: "only step_completed carries a checkpoint" });
    }
  });
export type TaskEventBody = z.infer<typeof taskEventBodySchema>;
