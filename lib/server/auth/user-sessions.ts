import "server-only";
import { createHash } from "node:crypto";
import type { Session } from "next-auth";
import type { JWT } from "next-auth/jwt";
import { randomToken } from "@/lib/core/ids";
import { systemActor, writeAudit, type Actor } from "../audit";
import { getDb, type Tx } from "../db";
import { logger } from "../logger";

/**
 * Dashboard sessions that can be ended (issue #17). Auth.js's Credentials
 * provider only issues JWT sessions, which nothing takes back before they
 * expire; so each JWT carries a random session id (`sid`), and the `jwt`
 * callback — which Auth.js runs for every `auth()`, i.e. for every page,
 * server action and route, and for its own session endpoint — looks it up in
 * `user_session` (one primary-key read, uncached, so an ended session is
 * refused on its very next request, in every app instance). A missing or
 * revoked row makes the callback return null: Auth.js then treats the request
 * as signed out and clears the cookie where it can.
 *
 * The table keys sessions by the SHA-256 of the sid ("session id" below), never
 * the sid: the sid only travels inside the signed, encrypted cookie, and whoever
 * could read the table and also held AUTH_SECRET could otherwise mint a cookie
 * for any live session.
 */

/** How long a JWT lives after its last refresh (Auth.js's `session.maxAge`, config.ts). */
export const SESSION_MAX_AGE_SECONDS = 12 * 60 * 60;
/** `last_seen_at` is written at most this often per session, off the request path. */
const TOUCH_EVERY_MS = 60_000;

export function sessionIdOf(sid: string): string {
  return createHash("sha256").update(sid).digest("hex");
}

/** A new session for a user who has just proved who they are; returns the sid for the JWT. */
export async function startUserSession(input: { userId: string; userAgent?: string | null }): Promise<string> {
  const sid = randomToken(43); // ~222 bits
  await getDb().$transaction(async (tx) => {
    // Rows no cookie can name any more: a JWT expires SESSION_MAX_AGE after its last refresh, and
    // every refresh runs the jwt callback, which touches last_seen_at within TOUCH_EVERY_MS.
    await tx.$executeRaw`
      DELETE FROM user_session
      WHERE user_id = ${input.userId} AND last_seen_at < now() - make_interval(secs => ${SESSION_MAX_AGE_SECONDS + 3600})`;
    await tx.userSession.create({
      data: { id: sessionIdOf(sid), userId: input.userId, userAgent: input.userAgent?.slice(0, 300) ?? null },
      select: { id: true },
    });
  });
  return sid;
}

/** The live (not revoked) session a sid names, or null. */
export async function findLiveSession(sid: string): Promise<{ sessionId: string; userId: string } | null> {
  const sessionId = sessionIdOf(sid);
  const db = getDb();
  const row = await db.userSession.findUnique({
    where: { id: sessionId },
    select: { userId: true, lastSeenAt: true, revokedAt: true },
  });
  if (!row || row.revokedAt) return null;
  if (Date.now() - row.lastSeenAt.getTime() > TOUCH_EVERY_MS) {
    void db.$executeRaw`UPDATE user_session SET last_seen_at = now() WHERE id = ${sessionId} AND revoked_at IS NULL`.catch(
      (err: unknown) => logger.warn({ err }, "could not record a session's last use"),
    );
  }
  return { sessionId, userId: row.userId };
}

/**
 * Ends every live session of a user, inside the caller's transaction (so the
 * change that ends them — a password change, a removal, a lockout, an admin's
 * "sign out everywhere" — commits with it or not at all), and audits it there.
 * `keepSessionId` spares one session: the one that changed the password.
 * Returns how many sessions were ended.
 */
export async function revokeUserSessions(
  tx: Tx,
  userId: string,
  reason: string,
  options: { actor?: Actor; workspaceId?: string | null; keepSessionId?: string | null } = {},
): Promise<number> {
  const keep = options.keepSessionId ?? null;
  const ended = await tx.$queryRaw<{ id: string }[]>`
    UPDATE user_session SET revoked_at = now(), revoked_reason = ${reason}
    WHERE user_id = ${userId} AND revoked_at IS NULL AND id IS DISTINCT FROM ${keep}
    RETURNING id`;
  const user = await tx.user.findUnique({ where: { id: userId }, select: { email: true } });
  await writeAudit(tx, {
    workspaceId: options.workspaceId ?? null,
    actor: options.actor ?? systemActor("sessions"),
    action: "auth.sessions_revoked",
    target: user?.email ?? userId,
    reason,
    details: { userId, sessionsEnded: ended.length, ...(keep ? { currentSessionKept: true } : {}) },
  });
  return ended.length;
}

/** Signing out: ends this one session (not the person's others) and audits it, once. */
export async function endSession(sessionId: string): Promise<boolean> {
  return getDb().$transaction(async (tx) => {
    const [ended] = await tx.$queryRaw<{ user_id: string; email: string }[]>`
      UPDATE user_session s SET revoked_at = now(), revoked_reason = 'signed out'
      FROM app_user u
      WHERE s.id = ${sessionId} AND s.revoked_at IS NULL AND u.id = s.user_id
      RETURNING s.user_id, u.email`;
    if (!ended) return false;
    await writeAudit(tx, {
      workspaceId: null,
      actor: { type: "user", id: ended.user_id, name: ended.email },
      action: "auth.signed_out",
      target: ended.email,
    });
    return true;
  });
}

async function requestUserAgent(): Promise<string | null> {
  try {
    const { headers } = await import("next/headers");
    return (await headers()).get("user-agent");
  } catch {
    return null; // outside a request (tests, scripts)
  }
}

/**
 * Auth.js's `jwt` callback. At sign-in (`user` set, after the Credentials
 * provider's authorize accepted the password) it starts a session and puts its
 * sid in the token; on every later call it refuses a token whose session is
 * missing, revoked or another user's.
 */
export async function sessionJwtCallback({
  token,
  user,
  trigger,
}: {
  token: JWT;
  user?: { id?: string | null } | null;
  trigger?: string;
}): Promise<JWT | null> {
  if (trigger === "signIn" && user?.id) {
    const sid = await startUserSession({ userId: user.id, userAgent: await requestUserAgent() });
    return { ...token, sub: user.id, sid };
  }
  // A token without a sid predates sessions (or was never ours): it names no session.
  if (typeof token.sid !== "string" || !token.sub) return null;
  const live = await findLiveSession(token.sid);
  if (!live || live.userId !== token.sub) return null;
  return token;
}

/** What `auth()` returns: the user's id and the session's id (the hash — never the sid). */
export type SessionWithId = Session & { sessionId?: string };

export function describeSession(session: Session, token: JWT): SessionWithId {
  if (token.sub) session.user = { ...session.user, id: token.sub };
  return typeof token.sid === "string" ? { ...session, sessionId: sessionIdOf(token.sid) } : session;
}

/**
 * Auth.js's `signOut` event, for sign-outs that do not go through the app's
 * own sign-out action (which ends the session itself first; this is then a no-op).
 */
export async function sessionSignOutEvent(message: { token?: JWT | null } | { session?: unknown }) {
  const token = "token" in message ? message.token : null;
  if (typeof token?.sid === "string") await endSession(sessionIdOf(token.sid));
}
