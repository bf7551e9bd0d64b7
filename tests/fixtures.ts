import { randomBytes } from "node:crypto";
import type { Role } from "@/lib/core/roles";
import type { Actor } from "@/lib/server/audit";
import { getDb } from "@/lib/server/db";
import { createUser } from "@/lib/server/users/create-user";
import { createWorkspace } from "@/lib/server/workspaces/create-workspace";

export const testActor: Actor = { type: "cli", id: "test", name: "test-suite" };

export function uniqueSlug(label: string): string {
  return `${label}-${randomBytes(4).toString("hex")}`;
}

/** A workspace with one member per requested role; every test seeds its own. */
export async function seedWorkspace(roles: Role[] = ["admin"]) {
  const workspace = await createWorkspace({ slug: uniqueSlug("t"), actor: testActor });
  const members: Record<string, { id: string; email: string; password: string; role: Role }> = {};
  for (const [i, role] of roles.entries()) {
    const email = `${role}-${i}-${randomBytes(4).toString("hex")}@example.test`;
    const password = `pw-${randomBytes(8).toString("hex")}`;
    const user = await createUser({ actor: testActor, email, password, workspaceSlug: workspace.slug, role });
    members[i === roles.indexOf(role) ? role : `${role}${i}`] = { id: user.userId, email, password, role };
  }
  return { workspace, members };
}

export async function auditEvents(where: { workspaceId?: string | null; action?: string; target?: string }) {
  const events = await getDb().auditEvent.findMany({ where, orderBy: { id: "asc" } });
  return events.map((e) => ({ ...e, id: e.id.toString() })); // JSON-safe for assertions
}

/**
 * A client address of its own for a test's sign-in attempts (198.18.0.0/15, the benchmarking range), so
 * tests running in parallel never share a per-address sign-in budget.
 */
export function testAddress(): string {
  const [a, b, c] = randomBytes(3);
  return `198.${18 + (a! & 1)}.${b}.${c}`;
}
