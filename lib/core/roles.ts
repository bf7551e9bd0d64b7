/**
 * Workspace roles and what each may do. The dashboard hides what a role cannot
 * use, but the server is the check: every action and route asks `can()` (via
 * requireRole) before it touches anything.
 */
export const ROLES = ["admin", "operator", "auditor", "viewer"] as const;
export type Role = (typeof ROLES)[number];

export type Permission =
  | "workspace.read"
  | "workspace.configure"
  | "members.manage"
  | "escalations.work"
  /** Approve or reject pending actions, freeze an action pattern, disable an identity from the queue (API.md: operators and admins). */
  | "actions.approve"
  | "audit.read"
  | "audit.verify"
  | "audit.export";

/**
 * The audit trail: everyone in the workspace may search and read it (viewers
 * "read everything"); verifying its integrity and exporting it are the
 * auditor's (and the admin's) job.
 */
const GRANTS: Record<Role, readonly Permission[]> = {
  admin: [
    "workspace.read",
    "workspace.configure",
    "members.manage",
    "escalations.work",
    "actions.approve",
    "audit.read",
    "audit.verify",
    "audit.export",
  ],
  operator: ["workspace.read", "escalations.work", "actions.approve", "audit.read"],
  auditor: ["workspace.read", "audit.read", "audit.verify", "audit.export"],
  viewer: ["workspace.read", "audit.read"],
};

export function can(role: Role, permission: Permission): boolean {
  return GRANTS[role].includes(permission);
}

export function rolesWith(permission: Permission): Role[] {
  return ROLES.filter((role) => can(role, permission));
}

export function isRole(value: unknown): value is Role {
  return typeof value === "string" && (ROLES as readonly string[]).includes(value);
}

export const ROLE_LABELS: Record<Role, string> = {
  admin: "Admin",
  operator: "Operator",
  auditor: "Auditor",
  viewer: "Viewer",
};

export type MemberChange =
  { kind: "change-role"; currentRole: Role; nextRole: Role } | { kind: "remove"; currentRole: Role };

export type MemberChangeDecision = { allowed: true } | { allowed: false; code: "last_admin"; message: string };

/**
 * A workspace always keeps at least one admin: otherwise nobody could manage
 * members, keys or budgets again. `adminCount` must be read under a lock on the
 * workspace's admin memberships, or two admins demoting each other could race.
 */
export function decideMemberChange(change: MemberChange, adminCount: number): MemberChangeDecision {
  const losesAdmin = change.currentRole === "admin" && (change.kind === "remove" || change.nextRole !== "admin");
  if (losesAdmin && adminCount <= 1) {
    return {
      allowed: false,
      code: "last_admin",
      message: "A workspace needs at least one admin: add or promote another admin first.",
    };
  }
  return { allowed: true };
}
