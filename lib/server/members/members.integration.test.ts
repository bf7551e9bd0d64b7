import { describe, expect, it } from "vitest";
import { AppError } from "@/lib/core/errors";
import { auditEvents, seedWorkspace, testActor, testAddress } from "@/tests/fixtures";
import { getDb } from "../db";
import { verifyPassword } from "../passwords";
import { verifySignIn } from "../auth/verify-sign-in";
import { addMember } from "./add-member";
import { changeMemberRole } from "./change-member-role";
import { removeMember } from "./remove-member";

describe("member management", () => {
  it("adds a new person with a one-time password that is stored only as a hash", async () => {
    const { workspace } = await seedWorkspace(["admin"]);
    const email = `New.Person-${Date.now()}@Example.test`;
    const result = await addMember({ workspaceId: workspace.id, actor: testActor, email, role: "operator" });
    expect(result.email).toBe(email.toLowerCase());
    expect(result.oneTimePassword).toMatch(/^[0-9a-z]{5}(-[0-9a-z]{5}){3}$/);

    const user = await getDb().user.findUniqueOrThrow({ where: { email: email.toLowerCase() } });
    expect(user.passwordHash).not.toContain(result.oneTimePassword!);
    expect(await verifyPassword(result.oneTimePassword!, user.passwordHash)).toBe(true);
    expect(user.mustChangePassword).toBe(true);
    expect(
      await verifySignIn({ email, password: result.oneTimePassword!, clientAddress: testAddress() }),
    ).toMatchObject({ ok: true });

    const [event] = await auditEvents({
      workspaceId: workspace.id,
      action: "member.added",
      target: email.toLowerCase(),
    });
    expect(event).toMatchObject({
      outcome: "success",
      actorType: "cli",
      details: { role: "operator", userCreated: true },
    });
    expect(JSON.stringify(event!.details)).not.toContain(result.oneTimePassword!);
  });

  it("adds an existing user of another workspace without touching their password", async () => {
    const first = await seedWorkspace(["admin", "viewer"]);
    const second = await seedWorkspace(["admin"]);
    const viewer = first.members.viewer!;
    const result = await addMember({
      workspaceId: second.workspace.id,
      actor: testActor,
      email: viewer.email,
      role: "auditor",
    });
    expect(result.oneTimePassword).toBeNull();
    expect(
      await verifySignIn({ email: viewer.email, password: viewer.password, clientAddress: testAddress() }),
    ).toMatchObject({ ok: true });
  });

  it("refuses to add someone twice", async () => {
    const { workspace, members } = await seedWorkspace(["admin"]);
    await expect(
      addMember({ workspaceId: workspace.id, actor: testActor, email: members.admin!.email, role: "viewer" }),
    ).rejects.toMatchObject({
      code: "already_exists",
    });
  });

  it("changes a role and audits before → after with the reason", async () => {
    const { workspace, members } = await seedWorkspace(["admin", "viewer"]);
    await changeMemberRole({
      workspaceId: workspace.id,
      actor: testActor,
      userId: members.viewer!.id,
      role: "operator",
      reason: "joins on-call",
    });
    const [event] = await auditEvents({ workspaceId: workspace.id, action: "member.role_changed" });
    expect(event).toMatchObject({ reason: "joins on-call", details: { from: "viewer", to: "operator" } });
  });

  it("never demotes or removes the last admin, and writes nothing when refusing", async () => {
    const { workspace, members } = await seedWorkspace(["admin", "viewer"]);
    const admin = members.admin!;
    await expect(
      changeMemberRole({ workspaceId: workspace.id, actor: testActor, userId: admin.id, role: "viewer" }),
    ).rejects.toMatchObject({
      code: "last_admin",
    });
    await expect(
      removeMember({ workspaceId: workspace.id, actor: testActor, userId: admin.id, reason: "leaving" }),
    ).rejects.toBeInstanceOf(AppError);
    const membership = await getDb().membership.findUniqueOrThrow({
      where: { workspaceId_userId: { workspaceId: workspace.id, userId: admin.id } },
    });
    expect(membership.role).toBe("admin");
    expect(await auditEvents({ workspaceId: workspace.id, action: "member.role_changed" })).toHaveLength(0);
    expect(await auditEvents({ workspaceId: workspace.id, action: "member.removed" })).toHaveLength(0);
  });

  it("two admins demoting each other at once: exactly one succeeds, one admin remains", async () => {
    const { workspace, members } = await seedWorkspace(["admin", "admin"]);
    const [a, b] = [members.admin!, members.admin1!];
    const results = await Promise.allSettled([
      changeMemberRole({ workspaceId: workspace.id, actor: testActor, userId: a.id, role: "viewer" }),
      changeMemberRole({ workspaceId: workspace.id, actor: testActor, userId: b.id, role: "viewer" }),
    ]);
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    expect(results.filter((r) => r.status === "rejected")).toHaveLength(1);
    const admins = await getDb().membership.count({ where: { workspaceId: workspace.id, role: "admin" } });
    expect(admins).toBe(1);
  });

  it("removes a member with a reason; they keep their account but lose the workspace", async () => {
    const { workspace, members } = await seedWorkspace(["admin", "operator"]);
    const op = members.operator!;
    await removeMember({ workspaceId: workspace.id, actor: testActor, userId: op.id, reason: "left the team" });
    expect(await getDb().membership.count({ where: { workspaceId: workspace.id, userId: op.id } })).toBe(0);
    expect(await getDb().user.count({ where: { id: op.id } })).toBe(1);
    const [event] = await auditEvents({ workspaceId: workspace.id, action: "member.removed" });
    expect(event).toMatchObject({ reason: "left the team", target: op.email, details: { role: "operator" } });
  });
});
