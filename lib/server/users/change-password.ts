import "server-only";
import { AppError } from "@/lib/core/errors";
import { evaluateLockout, LOCKOUT_MAX_FAILURES, LOCKOUT_WINDOW_MS } from "@/lib/core/lockout";
import { writeAudit, type Actor } from "../audit";
import { revokeUserSessions } from "../auth/user-sessions";
import { getDb } from "../db";
import { forgetFirstRunLogin } from "../first-run-login";
import { hashPassword, verifyPassword } from "../passwords";

/** Advisory-lock class of "one password change per user at a time" (the user id's hash is the object). */
const PASSWORD_CHANGE_LOCK_CLASS = 0x70617373;

type Outcome = { ok: true; email: string } | { ok: false; wrong: boolean; lockedUntil: Date | null };

/**
 * The password form. The current password is checked with the sign-in
 * lockout's rule (lib/core/lockout.ts): 5 wrong current passwords for a user
 * within 15 minutes refuse further attempts — even the right one — until the
 * oldest of them is 15 minutes old; a change starts the count afresh. Failures
 * are counted from the audit trail under a per-user transaction lock, so
 * parallel attempts cannot all see room for one more. A change ends every
 * other session of the user (the one that made it stays), in its transaction.
 */
export async function changePassword(input: {
  userId: string;
  /** The session making the change: it stays signed in, every other one ends. */
  sessionId: string | null;
  currentPassword: string;
  newPassword: string;
  now?: Date;
}): Promise<void> {
  const now = input.now ?? new Date();
  const outcome = await getDb().$transaction(
    async (tx): Promise<Outcome> => {
      // Try, not wait: a second attempt while one is being checked is refused at once, so a burst of
      // parallel guesses holds one connection, not the pool.
      const [lock] = await tx.$queryRaw<{ locked: boolean }[]>`
        SELECT pg_try_advisory_xact_lock(${PASSWORD_CHANGE_LOCK_CLASS}::int, hashtext(${input.userId})) AS locked`;
      if (!lock?.locked) {
        throw new AppError("conflict", "Another password change of this account is being checked: try again.", {
          field: "currentPassword",
        });
      }
      const user = await tx.user.findUnique({
        where: { id: input.userId },
        select: { id: true, email: true, passwordHash: true, passwordChangedAt: true },
      });
      if (!user) throw new AppError("unauthorized", "Your session has ended: sign in again.");
      const actor: Actor = { type: "user", id: user.id, name: user.email };

      const windowStart = new Date(now.getTime() - LOCKOUT_WINDOW_MS);
      const since =
        user.passwordChangedAt && user.passwordChangedAt > windowStart ? user.passwordChangedAt : windowStart;
      // The action is written into the statement, not bound, so that the planner always sees the
      // predicate of the partial index audit_event_password_change_failures_idx.
      const failures = await tx.$queryRaw<{ created_at: Date }[]>`
        SELECT created_at FROM audit_event
        WHERE action = 'auth.password_change_failed' AND actor_id = ${user.id} AND created_at > ${since}
        ORDER BY created_at DESC LIMIT ${LOCKOUT_MAX_FAILURES}`;
      const times = failures.map((f) => f.created_at);
      const before = evaluateLockout({ failures: times, now });
      if (before.locked) {
        await writeAudit(tx, {
          workspaceId: null,
          actor,
          action: "auth.password_change_locked",
          outcome: "denied",
          target: user.email,
          reason: "too many wrong current passwords",
          details: { lockedUntil: before.lockedUntil },
        });
        return { ok: false, wrong: false, lockedUntil: before.lockedUntil };
      }

      if (!(await verifyPassword(input.currentPassword, user.passwordHash))) {
        await writeAudit(tx, {
          workspaceId: null,
          actor,
          action: "auth.password_change_failed",
          outcome: "denied",
          target: user.email,
          reason: "wrong current password",
          details: { failuresInWindow: before.failures + 1 },
        });
        const after = evaluateLockout({ failures: [...times, now], now });
        return { ok: false, wrong: true, lockedUntil: after.locked ? after.lockedUntil : null };
      }

      const passwordHash = await hashPassword(input.newPassword);
      await tx.user.update({
        where: { id: user.id },
        data: { passwordHash, mustChangePassword: false, passwordChangedAt: now },
        select: { id: true },
      });
      await writeAudit(tx, { workspaceId: null, actor, action: "auth.password_changed", target: user.email });
      await revokeUserSessions(tx, user.id, "password changed", { actor, keepSessionId: input.sessionId });
      return { ok: true, email: user.email };
    },
    // Two bcrypt rounds run inside (the check under the lock, then the new hash).
    { maxWait: 10_000, timeout: 20_000 },
  );

  if (outcome.ok) {
    // The first run's password, if this was the seeded admin, is no longer kept anywhere.
    forgetFirstRunLogin(outcome.email);
    return;
  }
  if (outcome.lockedUntil) {
    const minutes = Math.max(1, Math.ceil((outcome.lockedUntil.getTime() - now.getTime()) / 60_000));
    throw new AppError(
      "locked",
      `${outcome.wrong ? "The current password is not right. " : ""}Too many wrong current passwords: try again in ${minutes} minute${minutes === 1 ? "" : "s"}.`,
      { field: "currentPassword", lockedUntil: outcome.lockedUntil },
    );
  }
  throw new AppError("validation_failed", "The current password is not right.", { field: "currentPassword" });
}
