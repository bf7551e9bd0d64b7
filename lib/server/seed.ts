import "server-only";
import { newId } from "@/lib/core/ids";
import { writeAudit, type Actor } from "./audit";
import { getDb } from "./db";
import { hashPassword } from "./passwords";

export const DEMO_WORKSPACE = "demo";

/**
 * First run only: the `demo` workspace and its admin. Returns null when the
 * workspace already exists (nothing is changed on later starts).
 */
export async function seedDemoWorkspace(input: {
  adminEmail: string;
  adminPassword: string;
}): Promise<{ workspaceId: string; adminEmail: string } | null> {
  const db = getDb();
  const actor: Actor = { type: "system", id: "seed", name: "first-run seed" };
  const email = input.adminEmail.toLowerCase();
  const passwordHash = await hashPassword(input.adminPassword);
  return db.$transaction(async (tx) => {
    // Serialize concurrent first starts; the loser sees the workspace and does nothing.
    await tx.$executeRaw`SELECT pg_advisory_xact_lock(72707370)`;
    const exists = await tx.workspace.findUnique({ where: { slug: DEMO_WORKSPACE }, select: { id: true } });
    if (exists) return null;
    const workspace = await tx.workspace.create({
      data: { id: newId("ws"), slug: DEMO_WORKSPACE, name: "Demo workspace", dailyRequestLimit: 10_000 },
      select: { id: true },
    });
    const user =
      (await tx.user.findUnique({ where: { email }, select: { id: true } })) ??
      (await tx.user.create({ data: { id: newId("usr"), email, name: "Admin", passwordHash }, select: { id: true } }));
    await tx.membership.create({ data: { workspaceId: workspace.id, userId: user.id, role: "admin" } });
    await writeAudit(tx, { workspaceId: workspace.id, actor, action: "workspace.created", target: DEMO_WORKSPACE });
    await writeAudit(tx, {
      workspaceId: workspace.id,
      actor,
      action: "member.added",
      target: email,
      details: { userId: user.id, role: "admin", userCreated: true },
    });
    return { workspaceId: workspace.id, adminEmail: email };
  });
}
