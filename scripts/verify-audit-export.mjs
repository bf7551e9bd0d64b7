#!/usr/bin/env node
// Verifies an NDJSON audit export offline, with nothing but Node.js: no database,
// no code from this repository.
//
//   node scripts/verify-audit-export.mjs export.ndjson [--anchors audit-anchors.ndjson --public-key KEY]
//                                         [--workspace ID] [--filtered]
//
// prints { "ok": true, "events": N, … } or { "ok": false, "firstBadEvent": … } (exit 1). With the
// anchor file and the public key you pinned (base64url; repeat --public-key or separate by commas),
// the chain is also checked against every signed checkpoint: signatures (Ed25519; keys accepted
// only through rotation records signed by both keys, from a pinned one), each checkpoint's hash at
// its position, and a chain that ends before its latest checkpoint (truncated). The export must then
// be a whole chain — every position 1..n exactly once — unless --filtered says it is a search's
// subset (then only what it holds is checked). The formulas are documented in README, "Audit trail".
import { createHash, createPublicKey, verify } from "node:crypto";
import { readFileSync } from "node:fs";

const GENESIS = "0".repeat(64);
const FIELDS = [
  "id",
  "workspaceId",
  "actorType",
  "actorId",
  "actorName",
  "action",
  "outcome",
  "namespace",
  "target",
  "reason",
  "correlationId",
  "requestId",
  "details",
  "createdAt",
];
const canonical = (v) =>
  v === null || typeof v !== "object"
    ? JSON.stringify(v)
    : Array.isArray(v)
      ? `[${v.map(canonical).join(",")}]`
      : `{${Object.keys(v)
          .sort()
          .map((k) => `${JSON.stringify(k)}:${canonical(v[k])}`)
          .join(",")}}`;

const args = process.argv.slice(2);
const option = (name) => {
  const values = [];
  for (let i = 0; i < args.length; i++) if (args[i] === name) values.push(args[++i]);
  return values;
};
const FLAGS = new Set(["--filtered"]);
const file = args.find((a, i) => !a.startsWith("--") && (!args[i - 1]?.startsWith("--") || FLAGS.has(args[i - 1])));
const pinned = option("--public-key").flatMap((k) => k.split(",")).filter(Boolean);
const anchorsFile = option("--anchors")[0];
const filtered = args.includes("--filtered");

const lines = (text) => text.split("\n").filter((l) => l.trim());
const rows = lines(readFileSync(file ?? 0, "utf8")).map((line) => JSON.parse(line));
const sealed = rows.filter((r) => r.chainSeq !== null).sort((a, b) => a.chainSeq - b.chainSeq);
const bySeq = new Map(sealed.map((r) => [r.chainSeq, r]));
const lastSeq = sealed.length ? sealed[sealed.length - 1].chainSeq : 0;

const fail = (firstBadEvent, extra = {}) => {
  console.log(JSON.stringify({ ok: false, ...extra, firstBadEvent }));
  process.exit(1);
};

const chains = new Set(rows.map((r) => r.workspaceId ?? "_global"));
if (chains.size > 1) fail({ problem: "mixed_chains", message: "the export holds events of several workspaces" });
const chain = option("--workspace")[0] ?? [...chains][0] ?? null;
if (pinned.length && !anchorsFile) fail({ problem: "no_anchors", message: "--public-key needs --anchors" });
if (anchorsFile && !chain) fail({ problem: "empty_export", message: "an empty export: name its chain with --workspace" });
if (anchorsFile && !filtered) {
  // A whole chain, every position exactly once: anything else is an export that was cut or padded.
  for (let i = 0; i < sealed.length; i++) {
    if (sealed[i].chainSeq === i + 1) continue;
    const duplicate = sealed[i].chainSeq === sealed[i - 1]?.chainSeq;
    fail({ id: sealed[i].id, seq: duplicate ? sealed[i].chainSeq : i + 1, problem: duplicate ? "duplicate_seal" : "missing_seal" });
  }
}

// --- checkpoints -------------------------------------------------------------
const keyIdOf = (publicKey) =>
  createHash("sha256").update(Buffer.from(publicKey, "base64url")).digest("hex").slice(0, 16);
const verifies = (publicKey, message, signature) => {
  try {
    const key = createPublicKey({ key: { kty: "OKP", crv: "Ed25519", x: publicKey }, format: "jwk" });
    return verify(null, Buffer.from(message, "utf8"), key, Buffer.from(signature, "base64url"));
  } catch {
    return false;
  }
};
const keyLink = (k) => `basekv-audit-key/v1\n${k.keyId}\n${k.publicKey}\n${k.at}\n${k.previousKeyId ?? "-"}`;
const checkpointMessage = (c) => `basekv-audit-checkpoint/v1\n${c.chain}\n${c.seq}\n${c.hash}\n${c.at}\n${c.keyId}`;

let coverage = {};
if (anchorsFile) {
  if (pinned.length === 0) fail({ problem: "no_public_key", message: "--anchors needs --public-key" });
  const anchors = lines(readFileSync(anchorsFile, "utf8")).flatMap((line) => {
    try {
      return [JSON.parse(line)];
    } catch {
      return []; // a torn last line after a crash
    }
  });
  // Keys: the pinned ones, and every key linked to a trusted one by a record both keys signed.
  const trusted = new Map(pinned.map((k) => [keyIdOf(k), k]));
  const records = anchors.filter(
    (a) => a.type === "key" && keyIdOf(a.publicKey) === a.keyId && verifies(a.publicKey, keyLink(a), a.signature),
  );
  const records_ = new Map(records.map((r) => [r.keyId, r]));
  for (let changed = true; changed; ) {
    changed = false;
    for (const r of records) {
      if (!r.previousKeyId || !r.previousSignature) continue;
      const previousKey = trusted.get(r.previousKeyId) ?? records_.get(r.previousKeyId)?.publicKey;
      if (!previousKey || !verifies(previousKey, keyLink(r), r.previousSignature)) continue;
      if (trusted.has(r.previousKeyId) && !trusted.has(r.keyId)) {
        trusted.set(r.keyId, r.publicKey);
        changed = true;
      } else if (trusted.has(r.keyId) && !trusted.has(r.previousKeyId)) {
        trusted.set(r.previousKeyId, previousKey);
        changed = true;
      }
    }
  }
  const checkpoints = anchors.filter((a) => a.type === "checkpoint" && a.chain === chain).sort((a, b) => a.seq - b.seq);
  for (const c of checkpoints) {
    const key = trusted.get(c.keyId);
    if (!key) fail({ id: "", seq: c.seq, problem: "unknown_checkpoint_key" });
    if (!verifies(key, checkpointMessage(c), c.signature)) fail({ id: "", seq: c.seq, problem: "bad_checkpoint_signature" });
  }
  for (const c of checkpoints) {
    const row = bySeq.get(c.seq);
    if (!row) {
      if (filtered) continue; // not in this subset
      fail({ id: "", seq: lastSeq + 1, problem: "truncated" }); // a whole chain that ends before a checkpoint
    }
    if (row.hash !== c.hash) fail({ id: row.id, seq: c.seq, problem: "checkpoint_mismatch" });
  }
  const latest = checkpoints.filter((c) => c.seq <= lastSeq).pop() ?? null;
  coverage = {
    checkpoint: latest && { seq: latest.seq, hash: latest.hash, at: latest.at, keyId: latest.keyId },
    unanchoredTail: lastSeq - (latest?.seq ?? 0),
  };
}

// --- the chain ------------------------------------------------------------------
let previous = null;
for (const row of sealed) {
  const event = Object.fromEntries(FIELDS.map((f) => [f, row[f]]));
  const hash = createHash("sha256")
    .update(`${row.prevHash}\n${canonical(event)}`)
    .digest("hex");
  // Links are checked where the export holds both neighbours (a filtered export has gaps).
  const linked =
    previous && previous.chainSeq + 1 === row.chainSeq ? previous.hash : row.chainSeq === 1 ? GENESIS : null;
  const problem =
    hash !== row.hash ? "hash_mismatch" : linked !== null && linked !== row.prevHash ? "broken_link" : null;
  if (problem) fail({ id: row.id, seq: row.chainSeq, problem });
  previous = row;
}
console.log(JSON.stringify({ ok: true, events: sealed.length, unsealed: rows.length - sealed.length, ...coverage }));
