import { describe, expect, it } from "vitest";
import {
  checkCredential,
  credentialStatus,
  decideKeyTtl,
  DEFAULT_MAX_KEY_TTL_SECONDS,
  rotatedExpiry,
} from "./credential-policy";

const now = new Date("2026-11-25T12:00:00Z");
const at = (s: number) => new Date(now.getTime() + s * 1000);

describe("key lifetimes", () => {
  it("default to 7 days", () => {
    expect(decideKeyTtl(undefined, DEFAULT_MAX_KEY_TTL_SECONDS)).toEqual({ ok: true, seconds: 604800 });
  });
  it("may be as short as 1 second and as long as the workspace allows", () => {
    expect(decideKeyTtl(1, DEFAULT_MAX_KEY_TTL_SECONDS)).toEqual({ ok: true, seconds: 1 });
    expect(decideKeyTtl(90 * 86400, DEFAULT_MAX_KEY_TTL_SECONDS)).toEqual({ ok: true, seconds: 7776000 });
    expect(decideKeyTtl(90 * 86400 + 1, DEFAULT_MAX_KEY_TTL_SECONDS).ok).toBe(false);
    expect(decideKeyTtl(0, DEFAULT_MAX_KEY_TTL_SECONDS).ok).toBe(false);
    expect(decideKeyTtl(1.5, DEFAULT_MAX_KEY_TTL_SECONDS).ok).toBe(false);
  });
  it("follow a lower workspace maximum, default included", () => {
    expect(decideKeyTtl(undefined, 3600)).toEqual({ ok: true, seconds: 3600 });
    expect(decideKeyTtl(7200, 3600)).toMatchObject({ ok: false, message: expect.stringMatching(/at most/) });
  });
});

describe("credential status and checks", () => {
  it("is active, expired or revoked", () => {
    expect(credentialStatus({ expiresAt: at(10), revokedAt: null }, now)).toBe("active");
    expect(credentialStatus({ expiresAt: at(0), revokedAt: null }, now)).toBe("expired");
    expect(credentialStatus({ expiresAt: at(10), revokedAt: at(-1) }, now)).toBe("revoked");
  });
  it("refuses revoked, expired, and disabled-identity keys with distinct messages", () => {
    expect(checkCredential({ expiresAt: at(10), revokedAt: null, identityStatus: "active" }, now)).toEqual({
      ok: true,
    });
    expect(checkCredential({ expiresAt: at(10), revokedAt: at(-1), identityStatus: "active" }, now)).toMatchObject({
      reason: "revoked",
    });
    expect(checkCredential({ expiresAt: at(-1), revokedAt: null, identityStatus: "active" }, now)).toMatchObject({
      message: "credential expired",
    });
    expect(checkCredential({ expiresAt: at(10), revokedAt: null, identityStatus: "disabled" }, now)).toMatchObject({
      reason: "identity_disabled",
    });
  });
});

describe("rotation overlap", () => {
  it("cuts the old key down to the overlap", () => {
    expect(rotatedExpiry(at(86400), now, 3600)).toEqual(at(3600));
  });
  it("never extends the old key", () => {
    expect(rotatedExpiry(at(60), now, 3600)).toEqual(at(60));
  });
  it("with no overlap, ends the old key now", () => {
    expect(rotatedExpiry(at(86400), now, 0)).toEqual(now);
  });
});
