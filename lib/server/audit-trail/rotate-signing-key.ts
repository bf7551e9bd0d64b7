import "server-only";
import { generateKeyPairSync } from "node:crypto";
import { existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { keyIdOf, keyRecord, rawPublicKey } from "@/lib/core/audit-checkpoint";
import { AppError } from "@/lib/core/errors";
import { writeAudit } from "../audit";
import type { Actor } from "../audit";
import { pgTransaction } from "../db";
import { insertKeyRecord, makeCheckpoints } from "./checkpoint";
import { getDb } from "../db";
import { dataDir } from "../data-dir";
import { appendAnchor, currentSigner, readAnchors, sendAnchorWebhook } from "./signing-key";

/**
 * `audit key rotate`: a new signing key, cross-signed by the current one (and acknowledging it), its
 * record anchored and stored, its private half written to <data dir>/audit-signing-key (replacing
 * the old one, which is not kept). Checkpoints signed by either key verify
 * (the link). The app signs with the new key from its next start; where AUDIT_SIGNING_KEY is set in
 * the environment, the operator sets it to the new file's contents.
 */
export async function rotateSigningKey(input: { actor: Actor; now?: Date }) {
  const now = input.now ?? new Date();
  const current = currentSigner();
  if (!current) throw new AppError("validation_failed", "AUDIT_SIGNING_KEY is not set: there is no key to rotate.");
  // Rotation is a straight line: a key hands over once (twice would be a fork, which verifiers refuse).
  const anchored = readAnchors().keys;
  const stored = await getDb().auditSigningKey.findMany({ select: { keyId: true, previousKeyId: true } });
  const successor = [...anchored, ...stored].find((k) => k.previousKeyId === current.keyId);
  if (successor)
    throw new AppError(
      "conflict",
      `key ${current.keyId} was already rotated to ${successor.keyId}: start the app with that key (AUDIT_SIGNING_KEY or .data/audit-signing-key) before rotating again.`,
    );
  // A last checkpoint under the current key.
  await makeCheckpoints({ wait: true, now });
  const { privateKey } = generateKeyPairSync("ed25519");
  const record = keyRecord(privateKey, now.toISOString(), { key: current.privateKey, keyId: current.keyId });
  appendAnchor({ type: "key", ...record });
  await sendAnchorWebhook({ type: "key", ...record });
  await pgTransaction(async (sql) => {
    await insertKeyRecord(sql, record);
    await writeAudit(sql, {
      workspaceId: null,
      actor: input.actor,
      action: "audit.key_rotated",
      target: record.keyId,
      details: { previousKeyId: current.keyId, keyId: record.keyId, publicKey: record.publicKey },
    });
  });
  const dir = dataDir();
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = path.join(dir, "audit-signing-key");
  // The retired private key is not kept: whoever held it could sign a second successor (a fork).
  if (existsSync(file)) rmSync(file);
  writeFileSync(file, `${privateKey.export({ format: "der", type: "pkcs8" }).toString("base64url")}\n`, {
    mode: 0o600,
  });
  const publicKey = rawPublicKey(privateKey);
  return {
    keyId: keyIdOf(publicKey),
    publicKey,
    previousKeyId: current.keyId,
    keyFile: file,
    next: "Restart the app to sign with the new key; where AUDIT_SIGNING_KEY is set in the environment, set it to the contents of keyFile.",
  };
}
