import "server-only";
import { cache } from "react";
import { forbidden, notFound, redirect } from "next/navigation";
import { AppError } from "@/lib/core/errors";
import { can, type Permission, type Role } from "@/lib/core/roles";
import { getDb } from "../db";
import { recordWorkspaceVisit } from "../members/record-workspace-visit";
import { auth } from "./config";
import type { SessionWithId } from "./user-sessions";

export type SessionUser = {
  id: string;
  email: string;
  name: string | null;
  mustChangePassword: boolean;
  /** The row of user_session this request's cookie names (its hash id, not the cookie's secret). */
  sessionId: string;
};
export type WorkspaceContext = {
  user: SessionUser;
  workspace: { id: string; slug: string; name: string };
  role: Role;
};

/**
 * The signed-in user, re-read from the database on every request (once per
 * request thanks to cache()), so a deleted user's still-valid JWT opens nothing.
 * `auth()` has already refused a JWT whose session was ended (user-sessions.ts).
 */
export const getCurrentUser = cache(async (): Promise<SessionUser | null> => {
  const session: SessionWithId | null = await auth();
  const id = session?.user?.id;
  const sessionId = session?.sessionId;
  if (!id || !sessionId) return null;
  const user = await getDb().user.findUnique({
    where: { id },
    select: { id: true, email: true, name: true, mustChangePassword: true },
  });
  return user ? { ...user, sessionId } : null;
});

export const PASSWORD_CHANGE_FIRST = "Choose your own password first: you signed in with a one-time password.";

/**
 * The one rule for who may do anything beyond their own account — every server
 * action, route handler and page goes through it: signed in on a live session,
 * and no longer on a one-time password (such a person may only choose a
 * password or sign out). Returns the refusal, or null.
 */
export function accountRefusal(user: SessionUser | null): AppError | null {
  if (!user) return new AppError("unauthorized", "Your session has ended: sign in again.");
  if (user.mustChangePassword) return new AppError("forbidden", PASSWORD_CHANGE_FIRST, { mustChangePassword: true });
  return null;
}

/** Signed in (a person on a one-time password too: the password page and the home redirect need them). */
export async function requireUser(): Promise<SessionUser> {
  const user = await getCurrentUser();
  if (!user) redirect("/login");
  return user;
}

export const getMembership = cache(async (userId: string, slug: string) =>
  getDb().membership.findFirst({
    where: { userId, workspace: { slug } },
    select: { role: true, lastSeenAt: true, workspace: { select: { id: true, slug: true, name: true } } },
  }),
);

/**
 * For server actions and route handlers: the caller must be signed in, a member
 * of the workspace, and hold `permission`. Throws AppError (never redirects),
 * so the caller turns it into a form message or an HTTP status.
 */
export async function authorize(slug: string, permission: Permission): Promise<WorkspaceContext> {
  const user = await getCurrentUser();
  const refusal = accountRefusal(user);
  if (refusal || !user) throw refusal;
  const membership = await getMembership(user.id, slug);
  // Not a member and no such workspace look the same: nothing about other tenants leaks.
  if (!membership) throw new AppError("not_found", "No such workspace.");
  if (!can(membership.role, permission)) {
    throw new AppError("forbidden", "Your role does not allow this.", { role: membership.role, permission });
  }
  return { user, workspace: membership.workspace, role: membership.role };
}

/**
 * For pages and layouts: redirects to sign-in (or, on a one-time password, to
 * the password page), 404s for non-members, 403 page for the role.
 */
export async function requireRole(slug: string, permission: Permission = "workspace.read"): Promise<WorkspaceContext> {
  const user = await requireUser();
  if (accountRefusal(user)) redirect("/account/password");
  const membership = await getMembership(user.id, slug);
  if (!membership) notFound();
  // Every workspace page passes here: the member opened this workspace (its members page shows when).
  await recordWorkspaceVisit(
    { workspaceId: membership.workspace.id, userId: user.id, lastSeenAt: membership.lastSeenAt },
    new Date(),
  );
  if (!can(membership.role, permission)) {
    forbidden();
  }
  return { user, workspace: membership.workspace, role: membership.role };
}
