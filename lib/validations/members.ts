import { z } from "zod";
import { emailSchema, reasonSchema, roleSchema, workspaceSlugSchema } from "./common";

export const addMemberSchema = z.object({
  workspace: workspaceSlugSchema,
  email: emailSchema,
  name: z
    .string()
    .trim()
    .max(100)
    .optional()
    .transform((v) => v || undefined),
  role: roleSchema,
});

export const changeMemberRoleSchema = z.object({
  workspace: workspaceSlugSchema,
  userId: z.string().min(1).max(64),
  role: roleSchema,
  reason: z
    .string()
    .trim()
    .max(500)
    .optional()
    .transform((v) => v || undefined),
});

export const removeMemberSchema = z.object({
  workspace: workspaceSlugSchema,
  userId: z.string().min(1).max(64),
  reason: reasonSchema,
});

export const signOutMemberSchema = z.object({
  workspace: workspaceSlugSchema,
  userId: z.string().min(1).max(64),
  reason: reasonSchema,
});
