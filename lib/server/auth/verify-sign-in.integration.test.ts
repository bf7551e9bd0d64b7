import { describe, expect, it } from "vitest";
import { auditEvents, seedWorkspace } from "@/tests/fixtures";
import { verifySignIn } from "./verify-sign-in";

describe("sign-in with lockout", () => {
  it("signs in with the right password and audits it", async () => {
    const { members } = await seedWorkspace(["admin"]);
    const result = await verifySignIn({ email: members.admin!.email.toUpperCase(), password: members.admin!.password });
    expect(result).toMatchObject({ ok: true, user: { id: members.admin!.id } });
    const events = await auditEvents({ action: "auth.signed_in", target: members.admin!.email });
    expect(events).toHaveLength(1);
  });

  it("locks an email after 5 failed attempts within 15 minutes, even for the right password, and audits each", async () => {
    const { members } = await seedWorkspace(["viewer"]);
    const { email, password } = members.viewer!;
    const t0 = new Date();
    for (let i = 0; i < 4; i++) {
      expect(await verifySignIn({ email, password: "wrong-password", now: t0 })).toEqual({
        ok: false,
        reason: "invalid",
      });
    }
    const fifth = await verifySignIn({ email, password: "wrong-password", now: t0 });
    expect(fifth).toMatchObject({ ok: false, reason: "locked" });

    const withRightPassword = await verifySignIn({ email, password, now: new Date(t0.getTime() + 60_000) });
    expect(withRightPassword).toMatchObject({ ok: false, reason: "locked" });

    expect(await auditEvents({ action: "auth.sign_in_failed", target: email })).toHaveLength(5);
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
    // Failures are recorded at the database's clock; evaluate 16 minutes later.
    for (let i = 0; i < 5; i++) await verifySignIn({ email, password: "nope-nope-nope" });
    expect(await verifySignIn({ email, password })).toMatchObject({ reason: "locked" });
    const later = new Date(Date.now() + 16 * 60_000);
    expect(await verifySignIn({ email, password, now: later })).toMatchObject({ ok: true });
  });

  it("counts failures for unknown emails too (no account enumeration through the lock)", async () => {
    const email = `ghost-${Date.now()}@example.test`;
    for (let i = 0; i < 5; i++) await verifySignIn({ email, password: "whatever-123" });
    expect(await verifySignIn({ email, password: "whatever-123" })).toMatchObject({ ok: false, reason: "locked" });
  });

  it("a successful sign-in clears earlier failures", async () => {
    const { members } = await seedWorkspace(["viewer"]);
    const { email, password } = members.viewer!;
    for (let i = 0; i < 4; i++) await verifySignIn({ email, password: "bad-password-1" });
    expect(await verifySignIn({ email, password })).toMatchObject({ ok: true });
    for (let i = 0; i < 4; i++) {
      expect(await verifySignIn({ email, password: "bad-password-2" })).toEqual({ ok: false, reason: "invalid" });
    }
  });
});
