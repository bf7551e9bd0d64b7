import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { SIGN_IN_ATTEMPTS_PER_ADDRESS } from "@/lib/core/address-limit";
import { LOCKOUT_MAX_FAILURES } from "@/lib/core/lockout";
import { auditEvents, seedWorkspace, testAddress } from "@/tests/fixtures";
import { getDb } from "../db";
import { verifySignIn } from "./verify-sign-in";

const ghost = (label: string) => `${label}-${randomBytes(4).toString("hex")}@example.test`;

/** Password checks that ran for an email: every check that did not succeed wrote exactly one failure. */
const failedChecks = async (email: string) =>
  (await auditEvents({ action: "auth.sign_in_failed", target: email })).length;

describe("sign-in with lockout", () => {
  it("signs in with the right password and audits it, with the client's address", async () => {
    const { members } = await seedWorkspace(["admin"]);
    const clientAddress = testAddress();
    const result = await verifySignIn({
      email: members.admin!.email.toUpperCase(),
      password: members.admin!.password,
      clientAddress,
    });
    expect(result).toMatchObject({ ok: true, user: { id: members.admin!.id } });
    const events = await auditEvents({ action: "auth.signed_in", target: members.admin!.email });
    expect(events).toHaveLength(1);
    expect(events[0]!.details).toEqual({ ip: clientAddress });
    expect(await getDb().signInCheck.count({ where: { email: members.admin!.email } })).toBe(0);
  });

  it("locks an email after 5 failed attempts within 15 minutes, even for the right password, and audits each", async () => {
    const { members } = await seedWorkspace(["viewer"]);
    const { email, password } = members.viewer!;
    const clientAddress = testAddress();
    const t0 = new Date();
    for (let i = 0; i < 4; i++) {
      expect(await verifySignIn({ email, password: "wrong-password", now: t0, clientAddress })).toEqual({
        ok: false,
        reason: "invalid",
      });
    }
    const fifth = await verifySignIn({ email, password: "wrong-password", now: t0, clientAddress });
    expect(fifth).toMatchObject({ ok: false, reason: "locked" });

    const withRightPassword = await verifySignIn({
      email,
      password,
      now: new Date(t0.getTime() + 60_000),
      clientAddress,
    });
    expect(withRightPassword).toMatchObject({ ok: false, reason: "locked" });

    expect(await failedChecks(email)).toBe(5);
    const engaged = await auditEvents({ action: "auth.lockout_engaged", target: email });
    expect(engaged).toHaveLength(1);
    expect(engaged[0]).toMatchObject({ outcome: "denied", actorId: members.viewer!.id });
    const locked = await auditEvents({ action: "auth.sign_in_locked", target: email });
    expect(locked).toHaveLength(1);
    expect(locked[0]).toMatchObject({ outcome: "denied", actorType: "user" });
    // Never the password, not even the wrong one.
    const all = await auditEvents({ target: email });
    expect(JSON.stringify(all.map((e) => e.details))).not.toContain("wrong-password");
  });

  it("lets the right password in again once the window has passed", async () => {
    const { members } = await seedWorkspace(["viewer"]);
    const { email, password } = members.viewer!;
    const clientAddress = testAddress();
    // Failures are recorded at the database's clock; evaluate 16 minutes later.
    for (let i = 0; i < 5; i++) await verifySignIn({ email, password: "nope-nope-nope", clientAddress });
    expect(await verifySignIn({ email, password, clientAddress })).toMatchObject({ reason: "locked" });
    const later = new Date(Date.now() + 16 * 60_000);
    expect(await verifySignIn({ email, password, now: later, clientAddress })).toMatchObject({ ok: true });
  });

  it("counts failures for unknown emails too (no account enumeration through the lock)", async () => {
    const email = ghost("ghost");
    const clientAddress = testAddress();
    for (let i = 0; i < 5; i++) await verifySignIn({ email, password: "whatever-123", clientAddress });
    expect(await verifySignIn({ email, password: "whatever-123", clientAddress })).toMatchObject({
      ok: false,
      reason: "locked",
    });
  });

  it("a successful sign-in clears earlier failures", async () => {
    const { members } = await seedWorkspace(["viewer"]);
    const { email, password } = members.viewer!;
    const clientAddress = testAddress();
    for (let i = 0; i < 4; i++) await verifySignIn({ email, password: "bad-password-1", clientAddress });
    expect(await verifySignIn({ email, password, clientAddress })).toMatchObject({ ok: true });
    for (let i = 0; i < 4; i++) {
      expect(await verifySignIn({ email, password: "bad-password-2", clientAddress })).toEqual({
        ok: false,
        reason: "invalid",
      });
    }
  });
});

describe("the lockout under concurrency (issue #17, finding 5)", () => {
  // Spread over addresses so that the per-address limit (20 a minute) is not what stops them.
  const addresses = Array.from({ length: 4 }, testAddress);

  it("24 parallel attempts for one email run at most 5 password checks; the lock engages once", async () => {
    const { members } = await seedWorkspace(["viewer"]);
    const { email, password } = members.viewer!;
    const results = await Promise.all(
      Array.from({ length: 24 }, (_, i) =>
        verifySignIn({ email, password: `guess-${i}`, clientAddress: addresses[i % addresses.length]! }),
      ),
    );
    expect(await failedChecks(email)).toBe(LOCKOUT_MAX_FAILURES);
    expect(results.filter((r) => r.ok)).toHaveLength(0);
    expect(results.filter((r) => !r.ok && r.reason === "invalid")).toHaveLength(LOCKOUT_MAX_FAILURES - 1);
    expect(results.filter((r) => !r.ok && r.reason === "locked")).toHaveLength(24 - (LOCKOUT_MAX_FAILURES - 1));
    expect(await auditEvents({ action: "auth.lockout_engaged", target: email })).toHaveLength(1);
    expect(await auditEvents({ action: "auth.sign_in_locked", target: email })).toHaveLength(24 - LOCKOUT_MAX_FAILURES);
    expect(await getDb().signInCheck.count({ where: { email } })).toBe(0);
    // And the right password, now, is refused without a check.
    expect(await verifySignIn({ email, password, clientAddress: addresses[0]! })).toMatchObject({ reason: "locked" });
    expect(await failedChecks(email)).toBe(LOCKOUT_MAX_FAILURES);
  });

  it("the right password among parallel wrong ones: at most 5 checks, whoever wins", async () => {
    const { members } = await seedWorkspace(["viewer"]);
    const { email, password } = members.viewer!;
    const results = await Promise.all(
      Array.from({ length: 16 }, (_, i) =>
        verifySignIn({
          email,
          password: i === 7 ? password : `guess-${i}`,
          clientAddress: addresses[i % addresses.length]!,
        }),
      ),
    );
    const signedIn = await auditEvents({ action: "auth.signed_in", target: email });
    expect((await failedChecks(email)) + signedIn.length).toBeLessThanOrEqual(LOCKOUT_MAX_FAILURES);
    expect(results.filter((r) => r.ok)).toHaveLength(signedIn.length);
  });

  it("a check in flight counts as a failure; a claim left by a crash counts until it leaves the window", async () => {
    const email = ghost("inflight");
    const clientAddress = testAddress();
    const db = getDb();
    // A process died while hashing, 20 minutes ago: its claim no longer counts.
    await db.signInCheck.create({ data: { email, startedAt: new Date(Date.now() - 20 * 60_000) } });
    expect(await verifySignIn({ email, password: "x-1", clientAddress })).toEqual({ ok: false, reason: "invalid" });
    // Four checks in flight (or left by crashes just now) next to one failure: the next attempt is refused unchecked.
    for (let i = 0; i < 4; i++) await db.signInCheck.create({ data: { email } });
    expect(await verifySignIn({ email, password: "x-2", clientAddress })).toMatchObject({
      ok: false,
      reason: "locked",
    });
    expect(await failedChecks(email)).toBe(1);
    const [locked] = await auditEvents({ action: "auth.sign_in_locked", target: email });
    expect(locked).toMatchObject({ reason: "refused while the email's remaining password checks are in flight" });
  });
});

describe("sign-in attempts per client address (issue #17, finding 6)", () => {
  // One clock reading per test: the budget is per calendar minute, and a test that ran across a minute's
  // end would otherwise get two.
  it(`checks ${SIGN_IN_ATTEMPTS_PER_ADDRESS} attempts a minute from one address, fresh emails or not, and refuses the rest before any hash`, async () => {
    const clientAddress = testAddress();
    const now = new Date();
    const emails = Array.from({ length: SIGN_IN_ATTEMPTS_PER_ADDRESS + 5 }, () => ghost("spray"));
    const results = [];
    for (const email of emails) {
      results.push(await verifySignIn({ email, password: "Winter2026!", clientAddress, now }));
    }

    expect(results.slice(0, SIGN_IN_ATTEMPTS_PER_ADDRESS).every((r) => !r.ok && r.reason === "invalid")).toBe(true);
    expect(results.slice(SIGN_IN_ATTEMPTS_PER_ADDRESS).every((r) => !r.ok && r.reason === "rate_limited")).toBe(true);
    const checked = await Promise.all(emails.map(failedChecks));
    expect(checked).toEqual(emails.map((_, i) => (i < SIGN_IN_ATTEMPTS_PER_ADDRESS ? 1 : 0)));
    // One audit event for the address, not one per refused attempt.
    const limited = await auditEvents({ action: "auth.sign_in_rate_limited", target: clientAddress });
    expect(limited).toHaveLength(1);
    expect(limited[0]).toMatchObject({ outcome: "denied", details: { ip: clientAddress, email: emails[20] } });

    // Another address is not affected; the same address is allowed again in the next window.
    expect(await verifySignIn({ email: emails[0]!, password: "x", clientAddress: testAddress(), now })).toEqual({
      ok: false,
      reason: "invalid",
    });
    const nextMinute = new Date(now.getTime() + 61_000);
    expect(await verifySignIn({ email: ghost("later"), password: "x", clientAddress, now: nextMinute })).toEqual({
      ok: false,
      reason: "invalid",
    });
  });

  it("is exact under concurrency: 40 parallel attempts from one address, exactly 20 checked", async () => {
    const clientAddress = testAddress();
    const now = new Date();
    const emails = Array.from({ length: 40 }, () => ghost("burst"));
    const results = await Promise.all(
      emails.map((email) => verifySignIn({ email, password: "x", clientAddress, now })),
    );
    expect(results.filter((r) => !r.ok && r.reason === "rate_limited")).toHaveLength(40 - SIGN_IN_ATTEMPTS_PER_ADDRESS);
    const checked = (await Promise.all(emails.map(failedChecks))).reduce((a, b) => a + b, 0);
    expect(checked).toBe(SIGN_IN_ATTEMPTS_PER_ADDRESS);
  });

  it("counts IPv6 clients per /64, and an unknown address under one shared budget", async () => {
    const prefix = `2001:db8:${randomBytes(2).toString("hex")}:${randomBytes(2).toString("hex")}`;
    const now = new Date();
    for (let i = 0; i < SIGN_IN_ATTEMPTS_PER_ADDRESS; i++) {
      const clientAddress = `${prefix}::${(i + 1).toString(16)}`;
      await verifySignIn({ email: ghost("v6"), password: "x", clientAddress, now });
    }
    expect(
      await verifySignIn({ email: ghost("v6"), password: "x", clientAddress: `${prefix}:ffff:ffff:ffff:ffff`, now }),
    ).toMatchObject({ reason: "rate_limited" });

    const db = getDb();
    const before = (await db.signInAddressWindow.findUnique({ where: { address: "unknown" } }))?.attempts ?? 0;
    await verifySignIn({ email: ghost("unknown"), password: "x", clientAddress: null });
    const after = await db.signInAddressWindow.findUniqueOrThrow({ where: { address: "unknown" } });
    expect(after.attempts === before + 1 || after.attempts === 1).toBe(true);
  });
});
