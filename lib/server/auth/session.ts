import "server-only";
import { cache } from "react";
import { forbidden, notFound, redirect } from "next/navigation";
import { AppError } from "@/lib/core/errors";
import { can, type Permission, type Role } from "@/lib/core/roles";
import { getDb } from "../db";
import { recordWorkspaceVisit } from "../members/record-workspace-visit";
import { auth } from "./config";

export type SessionUser = { id: string; email: string; name: string | null; mustChangePassword: boolean };
export type WorkspaceContext = {
  user: SessionUser;
  workspace: { id: string; slug: string; name: string };
  role: Role;
};

/**
 * The signed-in user, re-read from the database on every request (once per
 * request thanks to cache()), so a deleted user's still-valid JWT opens nothing.
 */
export const getCurrentUser = cache(async (): Promise<SessionUser | null> => {
  const session = await auth();
  const id = session?.user?.id;
  if (!id) return null;
  return getDb().user.findUnique({
    where: { id },
    select: { id: true, email: true, name: true, mustChangePassword: true },
  });
});

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
  if (!user) throw new AppError("unauthorized", "Your session has ended: sign in again.");
  const membership = await getMembership(user.id, slug);
  // Not a member and no such workspace look the same: nothing about other tenants leaks.
  if (!membership) throw new AppError("not_found", "No such workspace.");
  if (!can(membership.role, permission)) {
    throw new AppError("forbidden", "Your role does not allow this.", { role: membership.role, permission });
  }
  return { user, workspace: membership.workspace, role: membership.role };
}

/** For pages and layouts: redirects to sign-in, 404s for non-members, 403 page for the role. */
export async function requireRole(slug: string, permission: Permission = "workspace.read"): Promise<WorkspaceContext> {
  const user = await requireUser();
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
