import { existsSync } from "node:fs";
import path from "node:path";
import { beforeEach, describe, expect, it, vi } from "vitest";
import type { ActionState } from "@/lib/action-state";
import { isAppError } from "@/lib/core/errors";
import { LOCKOUT_WINDOW_MS } from "@/lib/core/lockout";
import { form, session } from "@/tests/session-mock";
import { auditEvents, seedWorkspace, testActor, testAddress } from "@/tests/fixtures";
import { getDb } from "../db";
import { readFirstRunLogin, saveFirstRunLogin } from "../first-run-login";
import { addMember } from "../members/add-member";
import { createUser } from "../users/create-user";
import { changePassword } from "../users/change-password";
import {
  findLiveSession,
  revokeUserSessions,
  sessionIdOf,
  sessionJwtCallback,
  startUserSession,
} from "./user-sessions";
import { verifySignIn } from "./verify-sign-in";

/**
 * Dashboard sessions (issue #17): the session table and the check Auth.js runs
 * on every request (the real `jwt` callback, against the real database), and
 * the server actions that end sessions. Only the cookie jar is the test's
 * (tests/session-mock.ts): a "browser" is a token kept and put back.
 */
vi.mock("@/lib/server/auth/config", () => import("@/tests/session-mock"));
vi.mock("next/cache", () => ({ revalidatePath: () => {} }));
// app/auth-actions.ts imports Auth.js only for its error class, which cannot load outside Next.
vi.mock("next-auth", () => ({ AuthError: class AuthError extends Error {} }));

type Action = (state: ActionState | undefined, data: FormData) => Promise<ActionState>;
const auth = await import("@/app/auth-actions");
const members = await import("@/app/(dashboard)/w/[workspace]/settings/members/actions");
const namespaces = await import("@/app/(dashboard)/w/[workspace]/namespaces/actions");

/** Runs a server action, treating Next's redirect (thrown after a success) as a success. */
async function call(action: Action, fields: Record<string, string>): Promise<ActionState> {
  try {
    return await action(undefined, form(fields));
  } catch (error) {
    const digest = String((error as { digest?: string }).digest ?? "");
    if (digest.startsWith("NEXT_REDIRECT")) return { ok: true, message: digest.split(";")[2] ?? "redirected" };
    throw error;
  }
}

/** A browser of `userId`: signs in (a new session) and returns its token, to be put back later. */
async function browserOf(userId: string) {
  session.userId = userId;
  const { auth: currentAuth } = await import("@/tests/session-mock");
  expect(await currentAuth()).not.toBeNull();
  return session.token!;
}

/** Whether the browser holding `token` is still signed in, as a workspace action sees it. */
async function canAct(token: typeof session.token, slug: string): Promise<ActionState> {
  session.token = token;
  return call(namespaces.createNamespaceAction as Action, {
    workspace: slug,
    name: `s.n_${Math.random().toString(36).slice(2, 10)}`,
  });
}

const ENDED = /^Your session has ended/;

beforeEach(() => {
  session.userId = null;
});

describe("the session table and the check on every request", () => {
  it("a sign-in starts a session: the JWT carries a random sid, the table only its SHA-256", async () => {
    const { members: m } = await seedWorkspace(["admin"]);
    const token = await sessionJwtCallback({ token: { sub: "ignored" }, user: { id: m.admin!.id }, trigger: "signIn" });
    expect(token).toMatchObject({ sub: m.admin!.id, sid: expect.stringMatching(/^[0-9a-z]{43}$/) });
    const rows = await getDb().userSession.findMany({ where: { userId: m.admin!.id } });
    expect(rows).toHaveLength(1);
    expect(rows[0]!.id).toBe(sessionIdOf(token!.sid as string));
    expect(rows[0]!.id).not.toContain(token!.sid as string);
    expect(rows[0]!.revokedAt).toBeNull();
    // The next request's check accepts it, and returns the very token.
    expect(await sessionJwtCallback({ token: token! })).toEqual(token);
  });

  it("refuses a token without a sid, with an unknown sid, with another user's sid, or whose session was revoked", async () => {
    const { members: m } = await seedWorkspace(["admin", "viewer"]);
    const sid = await startUserSession({ userId: m.admin!.id });
    expect(await sessionJwtCallback({ token: { sub: m.admin!.id } })).toBeNull(); // a JWT from before sessions
    expect(await sessionJwtCallback({ token: { sub: m.admin!.id, sid: "x".repeat(43) } })).toBeNull();
    expect(await sessionJwtCallback({ token: { sub: m.viewer!.id, sid } })).toBeNull(); // sid spliced into another's JWT
    expect(await sessionJwtCallback({ token: { sub: m.admin!.id, sid } })).not.toBeNull();
    await getDb().$transaction((tx) => revokeUserSessions(tx, m.admin!.id, "test"));
    expect(await sessionJwtCallback({ token: { sub: m.admin!.id, sid } })).toBeNull();
    expect(await findLiveSession(sid)).toBeNull();
  });

  it("a sign-in lockout ends the account's live sessions at once, audited with the lockout", async () => {
    const { members: m } = await seedWorkspace(["admin"]);
    const sid = await startUserSession({ userId: m.admin!.id });
    expect(await findLiveSession(sid)).not.toBeNull();
    const clientAddress = testAddress();
    for (let i = 0; i < 5; i++) {
      await verifySignIn({ email: m.admin!.email, password: "not the password", clientAddress });
    }
    expect(await findLiveSession(sid)).toBeNull();
    const [ended] = await auditEvents({ action: "auth.sessions_revoked", target: m.admin!.email });
    expect(ended).toMatchObject({ actorName: "sign-in lockout", reason: "account locked after repeated failed sign-ins" });
  });

  it("revokeUserSessions ends every live session but the one kept, audited in the caller's transaction — or not at all", async () => {
    const { members: m } = await seedWorkspace(["admin"]);
    const userId = m.admin!.id;
    const sids = [
      await startUserSession({ userId }),
      await startUserSession({ userId }),
      await startUserSession({ userId }),
    ];
    // Rolled back with the change that would have ended them: nothing ended, nothing audited.
    await expect(
      getDb().$transaction(async (tx) => {
        await revokeUserSessions(tx, userId, "rolled back");
        throw new Error("the change failed");
      }),
    ).rejects.toThrow("the change failed");
    for (const sid of sids) expect(await findLiveSession(sid)).not.toBeNull();
    expect(await auditEvents({ action: "auth.sessions_revoked", target: m.admin!.email })).toHaveLength(0);

    const ended = await getDb().$transaction((tx) =>
      revokeUserSessions(tx, userId, "lost laptop", { actor: testActor, keepSessionId: sessionIdOf(sids[0]!) }),
    );
    expect(ended).toBe(2);
    expect(await findLiveSession(sids[0]!)).not.toBeNull();
    expect(await findLiveSession(sids[1]!)).toBeNull();
    expect(await findLiveSession(sids[2]!)).toBeNull();
    const [event] = await auditEvents({ action: "auth.sessions_revoked", target: m.admin!.email });
    expect(event).toMatchObject({
      actorName: testActor.name,
      reason: "lost laptop",
      details: { userId, sessionsEnded: 2, currentSessionKept: true },
    });
  });

  it("a new sign-in clears the person's rows that no cookie can name any more", async () => {
    const { members: m } = await seedWorkspace(["admin"]);
    const userId = m.admin!.id;
    const old = await startUserSession({ userId });
    const recent = await startUserSession({ userId });
    await getDb()
      .$executeRaw`UPDATE user_session SET last_seen_at = now() - interval '14 hours' WHERE id = ${sessionIdOf(old)}`;
    await getDb()
      .$executeRaw`UPDATE user_session SET last_seen_at = now() - interval '11 hours' WHERE id = ${sessionIdOf(recent)}`;
    await startUserSession({ userId });
    const left = await getDb().userSession.findMany({ where: { userId }, select: { id: true } });
    expect(left.map((r) => r.id)).not.toContain(sessionIdOf(old));
    expect(left.map((r) => r.id)).toContain(sessionIdOf(recent));
    expect(left).toHaveLength(2);
  });
});

describe("what ends a session (server actions, as the browser calls them)", () => {
  it("signing out ends that session — a copy of its cookie no longer works — and not the person's other ones", async () => {
    const { workspace, members: m } = await seedWorkspace(["admin"]);
    const laptop = await browserOf(m.admin!.id);
    const phone = await browserOf(m.admin!.id);
    const stolen = { ...laptop! };
    expect((await canAct(stolen, workspace.slug)).ok).toBe(true);

    session.token = laptop;
    await (auth.signOutAction as unknown as () => Promise<void>)();
    expect((await canAct(stolen, workspace.slug)).message).toMatch(ENDED);
    expect((await canAct(laptop, workspace.slug)).message).toMatch(ENDED);
    expect((await canAct(phone, workspace.slug)).ok).toBe(true);
    expect(await auditEvents({ action: "auth.signed_out", target: m.admin!.email })).toHaveLength(1);
    // Auth.js's own signOut event after it finds the session already ended: no second event.
    const { signOut } = await import("@/tests/session-mock");
    session.token = laptop;
    await signOut();
    expect(await auditEvents({ action: "auth.signed_out", target: m.admin!.email })).toHaveLength(1);
  });

  it("a password change ends every other session of the person, keeps the one that made it, in one transaction with its audit", async () => {
    const { workspace, members: m } = await seedWorkspace(["admin"]);
    const laptop = await browserOf(m.admin!.id);
    const phone = await browserOf(m.admin!.id);
    session.token = laptop;
    const changed = await call(auth.changePasswordAction as Action, {
      currentPassword: m.admin!.password,
      newPassword: "a-new-password-after-a-scare",
      confirmPassword: "a-new-password-after-a-scare",
    });
    expect(changed.ok, changed.message ?? "").toBe(true);
    expect((await canAct(phone, workspace.slug)).message).toMatch(ENDED);
    expect((await canAct(laptop, workspace.slug)).ok).toBe(true);
    const [revoked] = await auditEvents({ action: "auth.sessions_revoked", target: m.admin!.email });
    expect(revoked).toMatchObject({
      reason: "password changed",
      details: { sessionsEnded: 1, currentSessionKept: true },
    });
    const xids = await getDb().$queryRaw<{ action: string; xid: string }[]>`
      SELECT action, xid::text AS xid FROM audit_event
      WHERE target = ${m.admin!.email} AND action IN ('auth.password_changed', 'auth.sessions_revoked')`;
    expect(xids).toHaveLength(2);
    expect(xids[0]!.xid).toBe(xids[1]!.xid); // written by one transaction
  });

  it("an admin's sign-out-everywhere ends the member's sessions (in every workspace), not the admin's; audited in the admin's workspace", async () => {
    const { workspace, members: m } = await seedWorkspace(["admin", "viewer"]);
    const other = await seedWorkspace(["admin"]);
    await createUser({ actor: testActor, email: m.viewer!.email, workspaceSlug: other.workspace.slug, role: "admin" });
    const memberDesk = await browserOf(m.viewer!.id);
    const memberLaptop = await browserOf(m.viewer!.id);
    expect((await canAct(memberDesk, other.workspace.slug)).ok).toBe(true);
    const adminDesk = await browserOf(m.admin!.id);

    const result = await call(members.signOutMemberEverywhereAction as Action, {
      workspace: workspace.slug,
      userId: m.viewer!.id,
      reason: "laptop reported stolen",
    });
    expect(result).toMatchObject({ ok: true, message: `Signed ${m.viewer!.email} out everywhere (2 sessions ended).` });
    expect((await canAct(memberDesk, other.workspace.slug)).message).toMatch(ENDED);
    expect((await canAct(memberLaptop, workspace.slug)).message).toMatch(ENDED);
    expect((await canAct(adminDesk, workspace.slug)).ok).toBe(true);
    const [event] = await auditEvents({ workspaceId: workspace.id, action: "auth.sessions_revoked" });
    expect(event).toMatchObject({ actorId: m.admin!.id, target: m.viewer!.email, reason: "laptop reported stolen" });
  });

  it("an admin cannot sign out someone who is not a member of their workspace", async () => {
    const { workspace, members: m } = await seedWorkspace(["admin"]);
    const stranger = await seedWorkspace(["viewer"]);
    const strangerDesk = await browserOf(stranger.members.viewer!.id);
    session.userId = m.admin!.id;
    const result = await call(members.signOutMemberEverywhereAction as Action, {
      workspace: workspace.slug,
      userId: stranger.members.viewer!.id,
      reason: "not mine to sign out",
    });
    expect(result).toMatchObject({ ok: false, message: "No such member in this workspace." });
    session.token = strangerDesk;
    expect((await canAct(strangerDesk, stranger.workspace.slug)).message).toMatch(/role does not allow/);
  });

  it("removing a member ends their sessions with the removal", async () => {
    const { workspace, members: m } = await seedWorkspace(["admin", "viewer"]);
    const other = await seedWorkspace(["admin"]);
    await createUser({ actor: testActor, email: m.viewer!.email, workspaceSlug: other.workspace.slug, role: "admin" });
    const memberDesk = await browserOf(m.viewer!.id);
    session.userId = m.admin!.id;
    const removed = await call(members.removeMemberAction as Action, {
      workspace: workspace.slug,
      userId: m.viewer!.id,
      reason: "left the team",
    });
    expect(removed.ok, removed.message ?? "").toBe(true);
    expect((await canAct(memberDesk, other.workspace.slug)).message).toMatch(ENDED);
    const events = await auditEvents({ workspaceId: workspace.id, target: m.viewer!.email });
    expect(events.map((e) => e.action)).toEqual(expect.arrayContaining(["member.removed", "auth.sessions_revoked"]));
  });
});

describe("a one-time password opens nothing but the password form", () => {
  it("a member on a one-time password is refused every workspace action (audited); may change the password, and then act", async () => {
    const { workspace } = await seedWorkspace(["admin"]);
    const added = await addMember({
      workspaceId: workspace.id,
      actor: testActor,
      email: `otp-${Date.now()}@example.test`,
      role: "admin",
    });
    const desk = await browserOf(added.userId);
    const refused = await canAct(desk, workspace.slug);
    expect(refused).toMatchObject({ ok: false, message: expect.stringMatching(/^Choose your own password first/) });
    const [denial] = await auditEvents({ action: "namespace.create", target: workspace.slug });
    expect(denial).toMatchObject({ outcome: "denied", actorId: added.userId, reason: "still on a one-time password" });

    session.token = desk;
    const changed = await call(auth.changePasswordAction as Action, {
      currentPassword: added.oneTimePassword!,
      newPassword: "my-own-password-at-last",
      confirmPassword: "my-own-password-at-last",
    });
    expect(changed.ok, changed.message ?? "").toBe(true);
    expect((await canAct(desk, workspace.slug)).ok).toBe(true);
  });
});

describe("the password form's attempt limit", () => {
  const wrong = (userId: string, sessionId: string | null, guess: string, now?: Date) =>
    changePassword({ userId, sessionId, currentPassword: guess, newPassword: "a-new-password-42", now }).then(
      () => "changed",
      (error: unknown) => (isAppError(error) ? error.code : String(error)),
    );

  it("parallel and sequential guesses: exactly 5 wrong current passwords are checked in 15 minutes; then even the right one is refused (audited)", async () => {
    const { members: m } = await seedWorkspace(["viewer"]);
    const userId = m.viewer!.id;
    const burst = await Promise.all(Array.from({ length: 12 }, (_, i) => wrong(userId, null, `guess-${i}`)));
    expect(burst.every((code) => ["validation_failed", "conflict", "locked"].includes(code))).toBe(true);
    for (let i = 0; i < 10; i++) await wrong(userId, null, `late-${i}`);
    const failures = await auditEvents({ action: "auth.password_change_failed", target: m.viewer!.email });
    expect(failures).toHaveLength(5);
    expect(await wrong(userId, null, m.viewer!.password)).toBe("locked");
    expect(
      (await auditEvents({ action: "auth.password_change_locked", target: m.viewer!.email })).length,
    ).toBeGreaterThan(0);
    const user = await getDb().user.findUniqueOrThrow({ where: { id: userId } });
    expect(user.passwordChangedAt).toBeNull();

    // Once the oldest failure is 15 minutes old, the right password works again.
    const later = new Date(Date.now() + LOCKOUT_WINDOW_MS + 60_000);
    expect(await wrong(userId, null, m.viewer!.password, later)).toBe("changed");
  });

  it("a successful change starts the count afresh", async () => {
    const { members: m } = await seedWorkspace(["viewer"]);
    const userId = m.viewer!.id;
    for (let i = 0; i < 4; i++) expect(await wrong(userId, null, `guess-${i}`)).toBe("validation_failed");
    await changePassword({
      userId,
      sessionId: null,
      currentPassword: m.viewer!.password,
      newPassword: "second-password-42",
    });
    for (let i = 0; i < 4; i++) expect(await wrong(userId, null, `again-${i}`)).toBe("validation_failed");
    await changePassword({
      userId,
      sessionId: null,
      currentPassword: "second-password-42",
      newPassword: "third-password-42",
    });
  });
});

describe("the first run's admin password", () => {
  it("is a one-time password, and its kept copy is removed when it is changed", async () => {
    const { workspace } = await seedWorkspace(["admin"]);
    const added = await addMember({
      workspaceId: workspace.id,
      actor: testActor,
      email: `first-${Date.now()}@example.test`,
      role: "admin",
    });
    saveFirstRunLogin({ email: added.email, password: added.oneTimePassword! });
    expect(readFirstRunLogin()).toEqual({ email: added.email, password: added.oneTimePassword });
    // Someone else's change leaves it.
    const { members: m } = await seedWorkspace(["viewer"]);
    await changePassword({
      userId: m.viewer!.id,
      sessionId: null,
      currentPassword: m.viewer!.password,
      newPassword: "unrelated-password-42",
    });
    expect(readFirstRunLogin()).not.toBeNull();
    await changePassword({
      userId: added.userId,
      sessionId: null,
      currentPassword: added.oneTimePassword!,
      newPassword: "the-admins-own-42",
    });
    expect(readFirstRunLogin()).toBeNull();
    expect(existsSync(path.join(process.env.BASEKV_DATA_DIR!, "admin-login.json"))).toBe(false);
  });
});
