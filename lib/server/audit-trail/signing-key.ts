import "server-only";
import { createPrivateKey, type KeyObject } from "node:crypto";
import { appendFileSync, closeSync, existsSync, mkdirSync, openSync, readFileSync, readSync, statSync } from "node:fs";
import path from "node:path";
import {
  anchorLine,
  keyIdOf,
  parseAnchors,
  rawPublicKey,
  trustedKeys,
  type AnchorLine,
  type Checkpoint,
  type KeyRecord,
} from "@/lib/core/audit-checkpoint";
import { signatureHeader, SIGNATURE_HEADER } from "@/lib/core/webhooks";
import { env } from "@/lib/env";
import { dataDir } from "../data-dir";
import { logger } from "../logger";

/**
 * The audit signing key (AUDIT_SIGNING_KEY: never in the database) and the anchors outside the
 * database that every checkpoint is written to: an append-only file (O_APPEND) and, optionally, a
 * webhook. See lib/core/audit-checkpoint.ts for what they prove.
 */
export type Signer = { keyId: string; publicKey: string; privateKey: KeyObject };

let cached: { source: string; signer: Signer } | undefined;

export function parseSigningKey(text: string): KeyObject {
  const key = text.includes("-----BEGIN")
    ? createPrivateKey(text)
    : createPrivateKey({ key: Buffer.from(text.trim(), "base64url"), format: "der", type: "pkcs8" });
  if (key.asymmetricKeyType !== "ed25519") throw new Error("AUDIT_SIGNING_KEY must be an Ed25519 private key");
  return key;
}

/** The current signer, or null when no key is configured (checkpoints are then not made). */
export function currentSigner(): Signer | null {
  const source = env().AUDIT_SIGNING_KEY;
  if (!source) return null;
  if (cached?.source === source) return cached.signer;
  const privateKey = parseSigningKey(source);
  const publicKey = rawPublicKey(privateKey);
  cached = { source, signer: { keyId: keyIdOf(publicKey), publicKey, privateKey } };
  return cached.signer;
}

export function anchorFilePath(): string {
  return path.resolve(env().AUDIT_ANCHOR_FILE ?? path.join(dataDir(), "audit-anchors.ndjson"));
}

/**
 * Appends one line with O_APPEND (flag "a"): concurrent writers (instances sharing the path) never
 * overwrite each other, and nothing here can truncate or rewrite what is there.
 */
export function appendAnchor(line: AnchorLine): void {
  const file = anchorFilePath();
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  // A line torn by a crash mid-write must not swallow this one: start on a fresh line.
  const torn = existsSync(file) && statSync(file).size > 0 && !endsWithNewline(file);
  appendFileSync(file, (torn ? "\n" : "") + anchorLine(line), { flag: "a", mode: 0o600 });
}

function endsWithNewline(file: string): boolean {
  const fd = openSync(file, "r");
  try {
    const buffer = Buffer.alloc(1);
    readSync(fd, buffer, 0, 1, statSync(file).size - 1);
    return buffer[0] === 0x0a;
  } finally {
    closeSync(fd);
  }
}

export function anchorFileExists(): boolean {
  return existsSync(anchorFilePath());
}

/** Everything anchored so far (empty when the file does not exist yet). */
export function readAnchors(): { checkpoints: Checkpoint[]; keys: KeyRecord[]; malformed: number } {
  const file = anchorFilePath();
  if (!existsSync(file)) return { checkpoints: [], keys: [], malformed: 0 };
  return parseAnchors(readFileSync(file, "utf8"));
}

/** POSTs a checkpoint to the anchor webhook, when one is set; a failure is logged, not fatal (the file has it). */
export async function sendAnchorWebhook(line: AnchorLine): Promise<void> {
  const url = env().AUDIT_ANCHOR_WEBHOOK_URL;
  if (!url) return;
  const body = JSON.stringify(line);
  const headers: Record<string, string> = { "Content-Type": "application/json" };
  const secret = env().AUDIT_ANCHOR_WEBHOOK_SECRET;
  if (secret) headers[SIGNATURE_HEADER] = signatureHeader(secret, body, Math.floor(Date.now() / 1000));
  try {
    const response = await fetch(url, { method: "POST", body, headers, signal: AbortSignal.timeout(5_000), redirect: "manual" });
    if (!response.ok) logger.warn({ status: response.status }, "the audit anchor webhook refused a checkpoint");
  } catch (error) {
    logger.warn({ err: error }, "could not send a checkpoint to the audit anchor webhook");
  }
}

/**
 * The keys a verify accepts: those pinned (AUDIT_TRUSTED_KEYS, else the current key) and every key
 * linked to them by doubly signed rotation records (from the anchor file and the database's copies).
 */
export function verifierKeys(records: readonly KeyRecord[]): Map<string, string> {
  const pinned = env().AUDIT_TRUSTED_KEYS?.split(",").map((k) => k.trim()).filter(Boolean) ??
    [currentSigner()?.publicKey].filter((k): k is string => Boolean(k));
  return trustedKeys(pinned, records);
}
