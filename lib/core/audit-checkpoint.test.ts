import { generateKeyPairSync } from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  checkCheckpoint,
  keyForks,
  keyIdOf,
  keyRecord,
  parseAnchors,
  anchorLine,
  rawPublicKey,
  signCheckpoint,
  trustedKeys,
} from "./audit-checkpoint";

const newKey = () => generateKeyPairSync("ed25519").privateKey;
const idOf = (key: ReturnType<typeof newKey>) => keyIdOf(rawPublicKey(key));
const body = (key: ReturnType<typeof newKey>, seq = 10) => ({
  chain: "ws_1",
  seq,
  hash: "a".repeat(64),
  at: "2026-12-01T00:00:00.000Z",
  keyId: idOf(key),
});

describe("signed checkpoints", () => {
  it("verify with the signing key, and fail on any changed field or another key", () => {
    const key = newKey();
    const trusted = new Map([[idOf(key), rawPublicKey(key)]]);
    const checkpoint = signCheckpoint(key, body(key));
    expect(checkCheckpoint(checkpoint, trusted)).toBe("ok");
    for (const change of [{ seq: 11 }, { hash: "b".repeat(64) }, { chain: "ws_2" }, { at: "2026-12-02T00:00:00.000Z" }]) {
      expect(checkCheckpoint({ ...checkpoint, ...change }, trusted), JSON.stringify(change)).toBe("bad_signature");
    }
    const other = newKey();
    expect(checkCheckpoint(signCheckpoint(other, body(other)), trusted)).toBe("unknown_key");
    // Another key's signature under our key's id.
    expect(checkCheckpoint({ ...signCheckpoint(other, body(key)) }, trusted)).toBe("bad_signature");
  });
});

describe("key rotation: trust follows links both keys signed", () => {
  const k1 = newKey();
  const k2 = newKey();
  const k3 = newKey();
  const r1 = keyRecord(k1, "2026-01-01T00:00:00.000Z");
  const r2 = keyRecord(k2, "2026-02-01T00:00:00.000Z", { key: k1, keyId: idOf(k1) });
  const r3 = keyRecord(k3, "2026-03-01T00:00:00.000Z", { key: k2, keyId: idOf(k2) });

  it("forward from the first key and backward from the current one", () => {
    expect([...trustedKeys([rawPublicKey(k1)], [r1, r2, r3]).keys()].sort()).toEqual([idOf(k1), idOf(k2), idOf(k3)].sort());
    expect([...trustedKeys([rawPublicKey(k3)], [r3, r2, r1]).keys()].sort()).toEqual([idOf(k1), idOf(k2), idOf(k3)].sort());
    expect([...trustedKeys([rawPublicKey(k2)], [r1]).keys()]).toEqual([idOf(k2)]);
  });

  it("a retired key that hands over twice (a stolen private half) forks the history: verifiers see the fork", () => {
    const attacker = newKey();
    const fork = keyRecord(attacker, "2026-06-01T00:00:00.000Z", { key: k1, keyId: idOf(k1) });
    expect(keyForks([r1, r2, r3])).toEqual([]);
    expect(keyForks([r1, r2, r3, fork])).toEqual([idOf(k1)]);
  });

  it("a key that claims a trusted key as its predecessor without that key's signature is not trusted", () => {
    const attacker = newKey();
    const forged = keyRecord(attacker, "2026-04-01T00:00:00.000Z", { key: attacker, keyId: idOf(k3) });
    expect(trustedKeys([rawPublicKey(k3)], [forged]).has(idOf(attacker))).toBe(false);
  });

  it("a predecessor named by a trusted key is trusted only when it signed the hand-over too", () => {
    const attacker = newKey();
    // The attacker's key names k3 as its successor, signed by itself only: k3 never acknowledged it.
    const fake = { ...keyRecord(k3, "2026-05-01T00:00:00.000Z", { key: attacker, keyId: idOf(attacker) }) };
    const withoutK3Signature = { ...fake, signature: keyRecord(attacker, fake.at).signature };
    expect(trustedKeys([rawPublicKey(k3)], [withoutK3Signature, keyRecord(attacker, fake.at)]).has(idOf(attacker))).toBe(
      false,
    );
  });

  it("the anchor file round-trips, and a torn last line is counted, not fatal", () => {
    const checkpoint = signCheckpoint(k1, body(k1));
    const text =
      anchorLine({ type: "key", ...r1 }) + anchorLine({ type: "checkpoint", ...checkpoint }) + '{"type":"checkp';
    expect(parseAnchors(text)).toEqual({ checkpoints: [checkpoint], keys: [r1], malformed: 1 });
  });
});
