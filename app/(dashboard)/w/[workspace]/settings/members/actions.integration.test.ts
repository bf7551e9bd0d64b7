import { beforeEach, describe, expect, it, vi } from "vitest";
import { form, session } from "@/tests/session-mock";
import { auditEvents, seedWorkspace } from "@/tests/fixtures";
import { getDb } from "@/lib/server/db";

/**
 * The server actions themselves, as the browser would invoke them, against the
 * real database. Only the session source is swapped: `auth()` needs a Next.js
 * request, so the test decides who is signed in. Everything after that — the
 * membership lookup, the role check, the denial audit — is the real code.
 */
vi.mock("@/lib/server/auth/config", () => import("@/tests/session-mock"));
vi.mock("next/cache", () => ({ revalidatePath: () => {} }));

const { addMemberAction, changeMemberRoleAction, removeMemberAction } = await import("./actions");

describe("member server actions check the caller's role on the server", () => {
  beforeEach(() => {
    session.userId = null;
  });

  for (const role of ["auditor", "viewer", "operator"] as const) {
    it(`refuses an ${role}'s call to add a member, changes nothing, audits the denial`, async () => {
      const { workspace, members } = await seedWorkspace(["admin", role]);
      session.userId = members[role]!.id;
      const email = `intruder-${Date.now()}@example.test`;
      const state = await addMemberAction(undefined, form({ workspace: workspace.slug, email, role: "admin" }));
      expect(state).toMatchObject({ ok: false, message: "Your role does not allow this." });
      expect(await getDb().user.count({ where: { email } })).toBe(0);
      const denied = await auditEvents({ workspaceId: workspace.id, action: "member.add" });
      expect(denied).toHaveLength(1);
      expect(denied[0]).toMatchObject({ outcome: "denied", actorId: members[role]!.id });
    });
  }

  it("refuses a viewer's attempt to promote themselves or remove the admin", async () => {
    const { workspace, members } = await seedWorkspace(["admin", "viewer"]);
    session.userId = members.viewer!.id;
    const promote = await changeMemberRoleAction(
      undefined,
      form({ workspace: workspace.slug, userId: members.viewer!.id, role: "admin" }),
    );
    expect(promote.ok).toBe(false);
    const remove = await removeMemberAction(
      undefined,
      form({ workspace: workspace.slug, userId: members.admin!.id, reason: "taking over" }),
    );
    expect(remove.ok).toBe(false);
    const roles = await getDb().membership.findMany({ where: { workspaceId: workspace.id }, select: { role: true } });
    expect(roles.map((r) => r.role).sort()).toEqual(["admin", "viewer"]);
  });

  it("refuses a signed-out call", async () => {
    const { workspace } = await seedWorkspace(["admin"]);
    const state = await addMemberAction(
      undefined,
      form({ workspace: workspace.slug, email: "x@example.test", role: "viewer" }),
    );
    expect(state).toMatchObject({ ok: false, message: expect.stringContaining("sign in") });
  });

  it("refuses an admin of another workspace as if the workspace did not exist", async () => {
    const mine = await seedWorkspace(["admin"]);
    const theirs = await seedWorkspace(["admin"]);
    session.userId = theirs.members.admin!.id;
    const state = await addMemberAction(
      undefined,
      form({ workspace: mine.workspace.slug, email: "x@example.test", role: "viewer" }),
    );
    expect(state).toMatchObject({ ok: false, message: "No such workspace." });
    expect(await getDb().membership.count({ where: { workspaceId: mine.workspace.id } })).toBe(1);
  });

  it("lets an admin add a member and returns the one-time password once", async () => {
    const { workspace, members } = await seedWorkspace(["admin"]);
    session.userId = members.admin!.id;
    const email = `ok-${Date.now()}@example.test`;
    const state = await addMemberAction(undefined, form({ workspace: workspace.slug, email, role: "operator" }));
    expect(state.ok).toBe(true);
    expect((state.data as { oneTimePassword: string }).oneTimePassword).toBeTruthy();
    const [event] = await auditEvents({ workspaceId: workspace.id, action: "member.added", target: email });
    expect(event).toMatchObject({ actorType: "user", actorId: members.admin!.id, outcome: "success" });
  });

  it("gives an admin of B the same answer for the email of A's user as for a new email (issue #17, finding 8)", async () => {
    const a = await seedWorkspace(["admin", "operator"]);
    const b = await seedWorkspace(["admin"]);
    session.userId = b.members.admin!.id;
    const fresh = `fresh-${Date.now()}@example.test`;
    const add = async (email: string) => {
      const state = await addMemberAction(undefined, form({ workspace: b.workspace.slug, email, role: "viewer" }));
      expect(state.ok).toBe(true);
      const data = state.data as { email: string; oneTimePassword: string | null };
      return {
        message: state.message?.replaceAll(email, "<email>"),
        data: {
          email: data.email.replace(email, "<email>"),
          oneTimePassword: data.oneTimePassword?.replace(/\w/g, "x"),
        },
      };
    };
    expect(await add(a.members.operator!.email)).toEqual(await add(fresh));
  });

  it("reports invalid input per field without calling the service", async () => {
    const { workspace, members } = await seedWorkspace(["admin"]);
    session.userId = members.admin!.id;
    const state = await addMemberAction(
      undefined,
      form({ workspace: workspace.slug, email: "not-an-email", role: "owner" }),
    );
    expect(state.ok).toBe(false);
    expect(state.fieldErrors?.email?.[0]).toMatch(/valid email/);
    expect(state.fieldErrors?.role?.[0]).toMatch(/Choose a role/);
  });

  it("requires a reason to remove a member", async () => {
    const { workspace, members } = await seedWorkspace(["admin", "viewer"]);
    session.userId = members.admin!.id;
    const state = await removeMemberAction(
      undefined,
      form({ workspace: workspace.slug, userId: members.viewer!.id, reason: "" }),
    );
    expect(state.fieldErrors?.reason).toBeTruthy();
    expect(await getDb().membership.count({ where: { workspaceId: workspace.id } })).toBe(2);
  });
});
