import { randomBytes } from "node:crypto";
import { describe, expect, it, vi } from "vitest";
import { AppError } from "@/lib/core/errors";
import { session } from "@/tests/session-mock";
import { auditEvents, seedWorkspace, testActor, testAddress } from "@/tests/fixtures";
import { getDb } from "../db";
import { verifyPassword } from "../passwords";
import { requireRole } from "../auth/session";
import { verifySignIn } from "../auth/verify-sign-in";
import { addMember } from "./add-member";
import { changeMemberRole } from "./change-member-role";
import { listMembers } from "./list-members";
import { removeMember } from "./remove-member";

// Only the session source is swapped (who is signed in, for requireRole); everything after it is real.
vi.mock("@/lib/server/auth/config", () => import("@/tests/session-mock"));

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
      details: { userId: user.id, role: "operator" },
    });
    expect(JSON.stringify(event!.details)).not.toContain(result.oneTimePassword!);
    // The new account is audited outside the workspace.
    const [created] = await auditEvents({ action: "user.created", target: email.toLowerCase() });
    expect(created).toMatchObject({ workspaceId: null, details: { userId: user.id, via: "member.add" } });
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
    // A one-time password all the same (see below), but it is stored nowhere: it opens nothing.
    expect(result.oneTimePassword).toMatch(/^[0-9a-z]{5}(-[0-9a-z]{5}){3}$/);
    const clientAddress = testAddress();
    expect(await verifySignIn({ email: viewer.email, password: result.oneTimePassword, clientAddress })).toEqual({
      ok: false,
      reason: "invalid",
    });
    expect(await verifySignIn({ email: viewer.email, password: viewer.password, clientAddress })).toMatchObject({
      ok: true,
    });
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

describe("adding a member reveals nothing about other workspaces (issue #17, finding 8)", () => {
  it("an admin of B adding the email of A's user gets what they get for a new email, and no trace of A's activity", async () => {
    const a = await seedWorkspace(["admin", "operator"]);
    const b = await seedWorkspace(["admin"]);
    const aUser = a.members.operator!;
    // A's user is active in A: signs in, opens A's dashboard.
    const signedIn = await verifySignIn({ email: aUser.email, password: aUser.password, clientAddress: testAddress() });
    expect(signedIn).toMatchObject({ ok: true });
    session.userId = aUser.id;
    await requireRole(a.workspace.slug);
    expect((await listMembers(a.workspace.id)).find((m) => m.id === aUser.id)!.lastSeenHere).not.toBeNull();

    const fresh = `fresh-${randomBytes(4).toString("hex")}@example.test`;
    const add = (email: string) =>
      addMember({ workspaceId: b.workspace.id, actor: testActor, email, name: "Ops Person", role: "viewer" });
    const added = { existing: await add(aUser.email), fresh: await add(fresh) };
    // The service's answer: the same fields, the same kind of values.
    const answer = (r: typeof added.existing) => ({
      ...r,
      userId: "<id>",
      email: "<email>",
      oneTimePassword: r.oneTimePassword.replace(/[0-9a-z]/g, "x"),
    });
    expect(answer(added.existing)).toEqual(answer(added.fresh));

    // B's members page data: the same row for both, no sign-in or activity from A, no name from A.
    const rows = await listMembers(b.workspace.id);
    const row = (userId: string) => {
      const { id, email, memberSince, ...rest } = rows.find((m) => m.id === userId)!;
      expect(id && email && memberSince).toBeTruthy();
      return rest;
    };
    expect(row(added.existing.userId)).toEqual({ name: "Ops Person", role: "viewer", lastSeenHere: null });
    expect(row(added.existing.userId)).toEqual(row(added.fresh.userId));

    // B's audit trail: the same event for both, but for the email and the id.
    const events = await getDb().auditEvent.findMany({
      where: { workspaceId: b.workspace.id, action: "member.added", target: { in: [aUser.email, fresh] } },
      select: { target: true, actorType: true, outcome: true, reason: true, details: true },
    });
    const eventOf = (email: string, userId: string) =>
      JSON.stringify(events.find((e) => e.target === email))
        .replaceAll(email, "<email>")
        .replaceAll(userId, "<id>");
    expect(eventOf(aUser.email, added.existing.userId)).toEqual(eventOf(fresh, added.fresh.userId));

    // Once A's user opens B, B shows that: B's own activity.
    await requireRole(b.workspace.slug);
    expect((await listMembers(b.workspace.id)).find((m) => m.id === aUser.id)!.lastSeenHere).not.toBeNull();
    session.userId = null;
  });
});
