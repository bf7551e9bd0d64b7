import "server-only";
import { evaluateLockout, LOCKOUT_MAX_FAILURES, LOCKOUT_WINDOW_MS } from "@/lib/core/lockout";
import { writeAudit, type Actor } from "../audit";
import { getDb } from "../db";
import { verifyPassword } from "../passwords";

export type SignInResult =
  | { ok: true; user: { id: string; email: string; name: string | null } }
  | { ok: false; reason: "invalid" }
  | { ok: false; reason: "locked"; lockedUntil: Date };

/**
 * Checks an email + password with the lockout rule: 5 failures for an email
 * within 15 minutes lock it, even for the right password, until the oldest of
 * them is 15 minutes old. Failures are counted from the audit trail itself, so
 * the rule holds across app instances and restarts. Every outcome is audited.
 */
export async function verifySignIn(input: {
  email: string;
  password: string;
  ip?: string | null;
  now?: Date;
}): Promise<SignInResult> {
  const db = getDb();
  const now = input.now ?? new Date();
  const email = input.email.trim().toLowerCase();

  const user = await db.user.findUnique({
    where: { email },
    select: { id: true, email: true, name: true, passwordHash: true, lastSignInAt: true },
  });
  const windowStart = new Date(now.getTime() - LOCKOUT_WINDOW_MS);
  const since = user?.lastSignInAt && user.lastSignInAt > windowStart ? user.lastSignInAt : windowStart;
  // The action is written into the statement, not bound, so that the planner always sees the
  // predicate of the partial index audit_event_sign_in_failures_idx (migration 20261126001000).
  const failures = await db.$queryRaw<{ created_at: Date }[]>`
    SELECT created_at FROM audit_event
    WHERE action = 'auth.sign_in_failed' AND target = ${email} AND created_at > ${since}
    ORDER BY created_at DESC LIMIT ${LOCKOUT_MAX_FAILURES}`;
  const before = evaluateLockout({ failures: failures.map((f) => f.created_at), now });

  const actor: Actor = user ? { type: "user", id: user.id, name: user.email } : { type: "user", id: null, name: email };
  const details = { ip: input.ip ?? null };

  if (before.locked) {
    await writeAudit(db, {
      workspaceId: null,
      actor,
      action: "auth.sign_in_locked",
      outcome: "denied",
      target: email,
      reason: "account locked after repeated failed sign-ins",
      details: { ...details, lockedUntil: before.lockedUntil },
    });
    return { ok: false, reason: "locked", lockedUntil: before.lockedUntil };
  }

  const valid = await verifyPassword(input.password, user?.passwordHash);
  if (!user || !valid) {
    await writeAudit(db, {
      workspaceId: null,
      actor,
      action: "auth.sign_in_failed",
      outcome: "denied",
      target: email,
      reason: user ? "wrong password" : "unknown email",
      details: { ...details, failuresInWindow: before.failures + 1 },
    });
    const after = evaluateLockout({ failures: [...failures.map((f) => f.created_at), now], now });
    return after.locked
      ? { ok: false, reason: "locked", lockedUntil: after.lockedUntil }
      : { ok: false, reason: "invalid" };
  }

  await db.$transaction(async (tx) => {
    await tx.user.update({ where: { id: user.id }, data: { lastSignInAt: now }, select: { id: true } });
    await writeAudit(tx, { workspaceId: null, actor, action: "auth.signed_in", target: email, details });
  });
  return { ok: true, user: { id: user.id, email: user.email, name: user.name } };
}
