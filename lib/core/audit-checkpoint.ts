import { createHash, createPublicKey, sign, verify, type KeyObject } from "node:crypto";

/**
 * Signed checkpoints of the audit chains (issue #18), after Certificate Transparency's signed tree
 * heads (RFC 9162) and Sigstore's checkpoints: the head of a chain — (chain, seq, hash, time) —
 * signed with an Ed25519 key that is not in the database, and written to a sink outside it (the
 * anchor file). The hash of seq n commits to every event 1..n (each seal hashes the one before), so
 * a checkpoint covers everything before it: an event edited, deleted or inserted behind one, or seals
 * recomputed from the public formula, no longer reach the signed hash; a chain shorter than its
 * latest anchored checkpoint was truncated. Events after the latest checkpoint are not yet covered
 * (the unanchored tail).
 *
 * Keys rotate: each key's record names its predecessor and carries two signatures over the link —
 * the predecessor's (it hands over) and its own (it acknowledges whom it follows). A verifier pins
 * one key and accepts exactly those reachable from it through such links, in either direction.
 *
 * Everything here is plain data and node:crypto; nothing reads the database, the environment or a clock.
 */

export type CheckpointBody = { chain: string; seq: number; hash: string; at: string; keyId: string };
export type Checkpoint = CheckpointBody & { signature: string };

export type KeyRecord = {
  keyId: string;
  /** Raw Ed25519 public key, base64url (32 bytes). */
  publicKey: string;
  at: string;
  previousKeyId: string | null;
  /** The predecessor's signature over this record's link (null for the first key). */
  previousSignature: string | null;
  /** This key's own signature over its link. */
  signature: string;
};

/** One line of the anchor file (NDJSON). */
export type AnchorLine = ({ type: "checkpoint" } & Checkpoint) | ({ type: "key" } & KeyRecord);

export function checkpointMessage(c: CheckpointBody): string {
  return `basekv-audit-checkpoint/v1\n${c.chain}\n${c.seq}\n${c.hash}\n${c.at}\n${c.keyId}`;
}

export function keyLinkMessage(k: Pick<KeyRecord, "keyId" | "publicKey" | "at" | "previousKeyId">): string {
  return `basekv-audit-key/v1\n${k.keyId}\n${k.publicKey}\n${k.at}\n${k.previousKeyId ?? "-"}`;
}

/** A key's id: the start of the SHA-256 of its raw public key, so the id itself binds the key. */
export function keyIdOf(publicKey: string): string {
  return createHash("sha256").update(Buffer.from(publicKey, "base64url")).digest("hex").slice(0, 16);
}

export function rawPublicKey(key: KeyObject): string {
  const jwk = key.export({ format: "jwk" }) as { x?: string; crv?: string };
  if (jwk.crv !== "Ed25519" || !jwk.x) throw new Error("the audit signing key must be an Ed25519 key");
  return jwk.x;
}

function publicKeyObject(publicKey: string): KeyObject | null {
  try {
    return createPublicKey({ key: { kty: "OKP", crv: "Ed25519", x: publicKey }, format: "jwk" });
  } catch {
    return null;
  }
}

export function signMessage(privateKey: KeyObject, message: string): string {
  return sign(null, Buffer.from(message, "utf8"), privateKey).toString("base64url");
}

export function verifyMessage(publicKey: string, message: string, signature: string): boolean {
  const key = publicKeyObject(publicKey);
  if (!key) return false;
  try {
    return verify(null, Buffer.from(message, "utf8"), key, Buffer.from(signature, "base64url"));
  } catch {
    return false;
  }
}

export function signCheckpoint(privateKey: KeyObject, body: CheckpointBody): Checkpoint {
  return { ...body, signature: signMessage(privateKey, checkpointMessage(body)) };
}

/** The record of `key`, linked to `previous` (its predecessor's private key and id) when rotating. */
export function keyRecord(
  key: KeyObject,
  at: string,
  previous: { key: KeyObject; keyId: string } | null = null,
): KeyRecord {
  const publicKey = rawPublicKey(key);
  const link = { keyId: keyIdOf(publicKey), publicKey, at, previousKeyId: previous?.keyId ?? null };
  const message = keyLinkMessage(link);
  return {
    ...link,
    previousSignature: previous ? signMessage(previous.key, message) : null,
    signature: signMessage(key, message),
  };
}

/** Records that are what they claim: the id is the key's, and the key signed its own link. */
function soundRecords(records: readonly KeyRecord[]): KeyRecord[] {
  return records.filter(
    (r) => keyIdOf(r.publicKey) === r.keyId && verifyMessage(r.publicKey, keyLinkMessage(r), r.signature),
  );
}

/**
 * Keys that hand over to more than one successor. Rotation is a straight line; a fork means someone
 * with a retired key's private half made a successor of their own. Verifiers refuse the history.
 */
export function keyForks(records: readonly KeyRecord[]): string[] {
  const successors = new Map<string, Set<string>>();
  for (const r of soundRecords(records)) {
    if (!r.previousKeyId || !r.previousSignature) continue;
    const set = successors.get(r.previousKeyId) ?? new Set<string>();
    set.add(r.keyId);
    successors.set(r.previousKeyId, set);
  }
  return [...successors].filter(([, next]) => next.size > 1).map(([keyId]) => keyId);
}

/**
 * The keys to accept: the pinned public keys and every key linked to one of them by a record both
 * ends signed. Returned as keyId → public key. (Check keyForks first: on a fork, trust nothing new.)
 */
export function trustedKeys(pinned: readonly string[], records: readonly KeyRecord[]): Map<string, string> {
  const trusted = new Map(pinned.map((k) => [keyIdOf(k), k]));
  const sound = soundRecords(records);
  const byId = new Map(sound.map((r) => [r.keyId, r]));
  // A key that handed over twice vouches for neither successor.
  const forked = new Set(keyForks(records));
  for (let changed = true; changed; ) {
    changed = false;
    for (const r of sound) {
      if (!r.previousKeyId || !r.previousSignature) continue;
      const previousKey = trusted.get(r.previousKeyId) ?? byId.get(r.previousKeyId)?.publicKey ?? null;
      if (!previousKey || !verifyMessage(previousKey, keyLinkMessage(r), r.previousSignature)) continue;
      // Forward: a trusted key handed over to r. Backward: trusted r (this very key) names its predecessor, who signed too.
      if (trusted.get(r.previousKeyId) === previousKey && !trusted.has(r.keyId) && !forked.has(r.previousKeyId)) {
        trusted.set(r.keyId, r.publicKey);
        changed = true;
      } else if (trusted.get(r.keyId) === r.publicKey && !trusted.has(r.previousKeyId)) {
        trusted.set(r.previousKeyId, previousKey);
        changed = true;
      }
    }
  }
  return trusted;
}

export type CheckpointCheck = "ok" | "unknown_key" | "bad_signature";

export function checkCheckpoint(c: Checkpoint, trusted: ReadonlyMap<string, string>): CheckpointCheck {
  const key = trusted.get(c.keyId);
  if (!key) return "unknown_key";
  return verifyMessage(key, checkpointMessage(c), c.signature) ? "ok" : "bad_signature";
}

/** The anchor file's lines (malformed ones counted, not fatal: a torn last line after a crash). */
export function parseAnchors(text: string): { checkpoints: Checkpoint[]; keys: KeyRecord[]; malformed: number } {
  const checkpoints: Checkpoint[] = [];
  const keys: KeyRecord[] = [];
  let malformed = 0;
  for (const line of text.split("\n")) {
    if (!line.trim()) continue;
    try {
      const parsed = JSON.parse(line) as AnchorLine;
      if (parsed.type === "checkpoint" && typeof parsed.seq === "number" && typeof parsed.hash === "string") {
        const { type: _type, ...checkpoint } = parsed;
        checkpoints.push(checkpoint);
      } else if (parsed.type === "key" && typeof parsed.publicKey === "string") {
        const { type: _type, ...key } = parsed;
        keys.push(key);
      } else malformed++;
    } catch {
      malformed++;
    }
  }
  return { checkpoints, keys, malformed };
}

export function anchorLine(line: AnchorLine): string {
  return `${JSON.stringify(line)}\n`;
}
