import "server-only";
import { z } from "zod";
import { AppError, isAppError } from "@/lib/core/errors";
import { can, type Permission } from "@/lib/core/roles";
import { writeAudit, type Actor } from "./audit";
import { accountRefusal, getCurrentUser, getMembership, type WorkspaceContext } from "./auth/session";
import { getDb } from "./db";
import { logger } from "./logger";

import type { ActionState } from "@/lib/action-state";

export type { ActionState };

type WorkspaceInput = { workspace: string };
type Handler<I, T> = (input: I, ctx: WorkspaceContext & { actor: Actor }) => Promise<{ message: string; data?: T }>;

function formDataToObject(formData: FormData): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [field, value] of formData.entries()) {
    if (field.startsWith("$ACTION")) continue; // React's own bookkeeping fields
    out[field] = typeof value === "string" ? value : value.name;
  }
  return out;
}

/**
 * The one way to write a dashboard server action (STYLE.md): parse the form
 * with a zod schema, check on the server that the caller is signed in, a
 * member of the workspace and allowed `permission`, run the service, and turn
 * every failure into a form message. A refusal is itself audited.
 */
export function workspaceAction<S extends z.ZodType<WorkspaceInput>, T = unknown>(
  options: { name: string; schema: S; permission: Permission },
  handler: Handler<z.output<S>, T>,
) {
  return async function action(_prev: ActionState<T> | undefined, formData: FormData): Promise<ActionState<T>> {
    const parsed = options.schema.safeParse(formDataToObject(formData));
    if (!parsed.success) {
      return {
        ok: false,
        message: "Check the highlighted fields.",
        fieldErrors: z.flattenError(parsed.error).fieldErrors as Record<string, string[]>,
      };
    }
    try {
      const ctx = await authorizeAction(options.name, parsed.data.workspace, options.permission);
      const result = await handler(parsed.data, ctx);
      return { ok: true, message: result.message, data: result.data };
    } catch (error) {
      if (isAppError(error)) {
        const field = typeof error.details?.field === "string" ? error.details.field : null;
        return { ok: false, message: error.message, ...(field ? { fieldErrors: { [field]: [error.message] } } : {}) };
      }
      logger.error({ err: error, action: options.name }, "server action failed");
      return { ok: false, message: "Something went wrong and nothing was changed. Try again in a moment." };
    }
  };
}

/** Exposed for actions that do not come from a form; same checks, same denial audit. */
export async function authorizeAction(
  name: string,
  slug: string,
  permission: Permission,
): Promise<WorkspaceContext & { actor: Actor }> {
  const user = await getCurrentUser();
  if (!user) {
    await auditDenial(name, null, { type: "user", id: null, name: null }, "not signed in", slug);
    throw new AppError("unauthorized", "Your session has ended: sign in again.");
  }
  const actor: Actor = { type: "user", id: user.id, name: user.email };
  const refusal = accountRefusal(user);
  if (refusal) {
    await auditDenial(name, null, actor, "still on a one-time password", slug);
    throw refusal;
  }
  const membership = await getMembership(user.id, slug);
  if (!membership) {
    await auditDenial(name, null, actor, "not a member of this workspace", slug);
    throw new AppError("not_found", "No such workspace.");
  }
  if (!can(membership.role, permission)) {
    await auditDenial(name, membership.workspace.id, actor, `role ${membership.role} lacks ${permission}`, slug);
    throw new AppError("forbidden", "Your role does not allow this.");
  }
  return { user, workspace: membership.workspace, role: membership.role, actor };
}

async function auditDenial(name: string, workspaceId: string | null, actor: Actor, reason: string, slug: string) {
  await writeAudit(getDb(), {
    workspaceId,
    actor,
    action: name,
    outcome: "denied",
    target: slug,
    reason,
  });
}
