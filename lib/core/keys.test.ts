import { describe, expect, it } from "vitest";
import { generateKey, hashKey, isWellFormedKey, parseBearer } from "./keys";

describe("API keys", () => {
  it("are bkv_ + 256 random bits, with a SHA-256 hash and a short display prefix", () => {
    const { key, hash, prefix } = generateKey();
    expect(key).toMatch(/^bkv_[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(key.slice(4), "base64url")).toHaveLength(32);
    expect(hash).toBe(hashKey(key));
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
    expect(key.startsWith(prefix)).toBe(true);
    expect(prefix).toHaveLength(12);
  });

  it("never repeat", () => {
    const keys = new Set(Array.from({ length: 5000 }, () => generateKey().key));
    expect(keys.size).toBe(5000);
  });

  it("parse from a Bearer header, and say why not", () => {
    const { key } = generateKey();
    expect(parseBearer(`Bearer ${key}`)).toEqual({ ok: true, key });
    expect(parseBearer(`bearer ${key}`)).toEqual({ ok: true, key });
    expect(parseBearer(null)).toMatchObject({ ok: false, message: expect.stringMatching(/missing/) });
    expect(parseBearer(key)).toMatchObject({ ok: false, message: expect.stringMatching(/malformed Authorization/) });
    expect(parseBearer("Basic dXNlcjpwYXNz")).toMatchObject({ ok: false });
    expect(parseBearer("Bearer bkv_short")).toMatchObject({ ok: false, message: "malformed API key" });
    expect(parseBearer(`Bearer ${key}x`)).toMatchObject({ ok: false });
    expect(isWellFormedKey(`sk_${key.slice(4)}`)).toBe(false);
  });
});
