import "server-only";
import { evaluateLockout, LOCKOUT_MAX_FAILURES, LOCKOUT_WINDOW_MS } from "@/lib/core/lockout";
import { env } from "@/lib/env";
import { revokeUserSessions } from "./user-sessions";
import { writeAudit, type Actor } from "../audit";
import { BUSY_TX_OPTIONS, getDb, type Tx } from "../db";
import { verifyPassword } from "../passwords";
import { takeSignInAttempt, UNKNOWN_ADDRESS } from "./address-limit";

export type SignInResult =
  | { ok: true; user: { id: string; email: string; name: string | null } }
  | { ok: false; reason: "invalid" }
  | { ok: false; reason: "locked"; lockedUntil: Date }
  | { ok: false; reason: "rate_limited"; retryAt: Date };

// pg_advisory_xact_lock(class, key) with two int4 keys: a lock space of its own, apart from the
// background jobs' single-bigint locks. Two emails whose hashes collide only wait on each other briefly.
const SIGN_IN_LOCK_CLASS = 72707380;

type Attempt = { email: string; now: Date; actor: Actor; details: { ip: string | null } };
type SignInUser = { id: string; email: string; name: string | null; passwordHash: string };

/**
 * Checks an email + password, in four steps:
 *
 * 1. the client address's limit (lib/core/address-limit.ts; SIGN_IN_ATTEMPTS_PER_MINUTE), before any
 *    lookup or hash;
 * 2. the email's lockout: 5 failures within 15 minutes lock it, even for the right password, until the
 *    oldest of them is 15 minutes old. Under a transaction-scoped advisory lock on the email, the
 *    attempt counts the failures (from the audit trail itself, so the rule holds across app instances
 *    and restarts) plus the checks still in flight, and claims a check only while that total is below
 *    5 — so however many attempts arrive at once, on however many instances, at most 5 passwords are
 *    ever checked for an email in a window;
 * 3. the bcrypt check, outside any transaction (no lock or connection is held while it runs);
 * 4. the outcome, written under the same lock in the transaction that deletes the claim.
 *
 * Every outcome is audited.
 */
export async function verifySignIn(input: {
  email: string;
  password: string;
  /** The client's address (lib/server/auth/client-address.ts); null when unknown. */
  clientAddress: string | null;
  now?: Date;
}): Promise<SignInResult> {
  const db = getDb();
  const now = input.now ?? new Date();
  const email = input.email.trim().toLowerCase();
  const attempt: Attempt = {
    email,
    now,
    // The user's id is filled in once the user is loaded, under the lock.
    actor: { type: "user", id: null, name: email },
    details: { ip: input.clientAddress },
  };

  const perMinute = env().SIGN_IN_ATTEMPTS_PER_MINUTE;
  const limit = await takeSignInAttempt(db, input.clientAddress ?? UNKNOWN_ADDRESS, now, perMinute);
  if (!limit.allowed) {
    // Audited once per address and window: a flood of refusals must not become a flood of audit rows.
    if (limit.firstRefusal) {
      await writeAudit(db, {
        workspaceId: null,
        actor: attempt.actor,
        action: "auth.sign_in_rate_limited",
        outcome: "denied",
        target: limit.key,
        reason: `more than ${perMinute} sign-in attempts from this address within a minute`,
        details: { ...attempt.details, email, until: limit.resetAt },
      });
    }
    return { ok: false, reason: "rate_limited", retryAt: limit.resetAt };
  }

  const claim = await claimPasswordCheck(attempt);
  if (!claim.claimed) return { ok: false, reason: "locked", lockedUntil: claim.lockedUntil };

  let valid: boolean;
  try {
    valid = await verifyPassword(input.password, claim.user?.passwordHash);
  } catch (error) {
    await db.signInCheck.deleteMany({ where: { id: claim.id } });
    throw error;
  }
  return settlePasswordCheck(attempt, claim.id, valid ? claim.user : null);
}

async function lockEmail(tx: Tx, email: string): Promise<void> {
  await tx.$queryRaw`SELECT 1 AS locked FROM pg_advisory_xact_lock(${SIGN_IN_LOCK_CLASS}::int, hashtext(${email}))`;
}

/** Failure times since the later of the last successful sign-in and the window's start, newest first. */
async function recentFailures(tx: Tx, attempt: Attempt, lastSignInAt: Date | null | undefined): Promise<Date[]> {
  const windowStart = new Date(attempt.now.getTime() - LOCKOUT_WINDOW_MS);
  const since = lastSignInAt && lastSignInAt > windowStart ? lastSignInAt : windowStart;
  // The action is written into the statement, not bound, so that the planner always sees the
  // predicate of the partial index audit_event_sign_in_failures_idx (prisma/migrations/20261202004000_baseline).
  const rows = await tx.$queryRaw<{ created_at: Date }[]>`
    SELECT created_at FROM audit_event
    WHERE action = 'auth.sign_in_failed' AND target = ${attempt.email} AND created_at > ${since}
    ORDER BY created_at DESC LIMIT ${LOCKOUT_MAX_FAILURES}`;
  return rows.map((r) => r.created_at);
}

async function claimPasswordCheck(
  attempt: Attempt,
): Promise<{ claimed: true; id: bigint; user: SignInUser | null } | { claimed: false; lockedUntil: Date }> {
  return getDb().$transaction(async (tx) => {
    await lockEmail(tx, attempt.email);
    const user = await tx.user.findUnique({
      where: { email: attempt.email },
      select: { id: true, email: true, name: true, passwordHash: true, lastSignInAt: true },
    });
    if (user) attempt.actor = { type: "user", id: user.id, name: user.email };
    const windowStart = new Date(attempt.now.getTime() - LOCKOUT_WINDOW_MS);
    // A claim older than the window was left by a process that died while hashing: it no longer counts.
    await tx.signInCheck.deleteMany({ where: { email: attempt.email, startedAt: { lte: windowStart } } });
    const inFlight = await tx.signInCheck.findMany({
      where: { email: attempt.email },
      select: { startedAt: true },
    });
    const failures = await recentFailures(tx, attempt, user?.lastSignInAt);
    // A check in flight counts as a failure until it settles: it may become one.
    const decision = evaluateLockout({
      failures: [...failures, ...inFlight.map((c) => c.startedAt)],
      now: attempt.now,
    });

    if (decision.locked) {
      const byFailures = evaluateLockout({ failures, now: attempt.now }).locked;
      await writeAudit(tx, {
        workspaceId: null,
        actor: attempt.actor,
        action: "auth.sign_in_locked",
        outcome: "denied",
        target: attempt.email,
        reason: byFailures
          ? "account locked after repeated failed sign-ins"
          : "refused while the email's remaining password checks are in flight",
        details: { ...attempt.details, lockedUntil: decision.lockedUntil, checksInFlight: inFlight.length },
      });
      return { claimed: false, lockedUntil: decision.lockedUntil };
    }
    const claim = await tx.signInCheck.create({ data: { email: attempt.email }, select: { id: true } });
    return {
      claimed: true,
      id: claim.id,
      user: user && { id: user.id, email: user.email, name: user.name, passwordHash: user.passwordHash },
    };
  }, BUSY_TX_OPTIONS);
}

async function settlePasswordCheck(
  attempt: Attempt,
  claimId: bigint,
  signedIn: SignInUser | null,
): Promise<SignInResult> {
  return getDb().$transaction(async (tx) => {
    await lockEmail(tx, attempt.email);
    await tx.signInCheck.deleteMany({ where: { id: claimId } });

    if (signedIn) {
      await tx.user.update({ where: { id: signedIn.id }, data: { lastSignInAt: attempt.now }, select: { id: true } });
      await writeAudit(tx, {
        workspaceId: null,
        actor: attempt.actor,
        action: "auth.signed_in",
        target: attempt.email,
        details: attempt.details,
      });
      return { ok: true, user: { id: signedIn.id, email: signedIn.email, name: signedIn.name } };
    }

    // Read again under the lock: another attempt may have signed in meanwhile, which clears the count.
    const user = await tx.user.findUnique({ where: { email: attempt.email }, select: { lastSignInAt: true } });
    const failures = await recentFailures(tx, attempt, user?.lastSignInAt);
    const before = evaluateLockout({ failures, now: attempt.now });
    await writeAudit(tx, {
      workspaceId: null,
      actor: attempt.actor,
      action: "auth.sign_in_failed",
      outcome: "denied",
      target: attempt.email,
      reason: attempt.actor.id ? "wrong password" : "unknown email",
      details: { ...attempt.details, failuresInWindow: before.failures + 1 },
    });
    const after = evaluateLockout({ failures: [...failures, attempt.now], now: attempt.now });
    if (!after.locked) return { ok: false, reason: "invalid" };
    if (!before.locked) await lockoutEngaged(tx, attempt, after.lockedUntil);
    return { ok: false, reason: "locked", lockedUntil: after.lockedUntil };
  }, BUSY_TX_OPTIONS);
}

/**
 * The one place where an email's lockout engages: this attempt's failure was the 5th in the window.
 * It runs once per lockout, in the transaction that records that failure, under the email's lock —
 * the place for anything else a lockout must do at once (e.g. ending the user's sessions).
 */
async function lockoutEngaged(tx: Tx, attempt: Attempt, lockedUntil: Date): Promise<void> {
  await writeAudit(tx, {
    workspaceId: null,
    actor: attempt.actor,
    action: "auth.lockout_engaged",
    outcome: "denied",
    target: attempt.email,
    reason: `${LOCKOUT_MAX_FAILURES} failed sign-ins within ${LOCKOUT_WINDOW_MS / 60_000} minutes`,
    details: { ...attempt.details, lockedUntil },
  });
  // Someone is guessing this account's password: its live sessions end too (security #17.3), so a
  // session already stolen does not outlast the lockout.
  if (attempt.actor.id) {
    await revokeUserSessions(tx, attempt.actor.id, "account locked after repeated failed sign-ins", {
      actor: { type: "system", id: "lockout", name: "sign-in lockout" },
    });
  }
}
