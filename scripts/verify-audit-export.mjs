#!/usr/bin/env node
// Verifies an NDJSON audit export offline, with nothing but Node.js: no database,
// no code from this repository. `node scripts/verify-audit-export.mjs export.ndjson`
// prints { "ok": true, "events": N } or { "ok": false, "firstBadEvent": … } (exit 1).
// The formula is documented in README, "Audit trail".
import { createHash } from "node:crypto";
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

const rows = readFileSync(process.argv[2] ?? 0, "utf8")
  .split("\n")
  .filter(Boolean)
  .map((line) => JSON.parse(line));
const sealed = rows.filter((r) => r.chainSeq !== null).sort((a, b) => a.chainSeq - b.chainSeq);
let previous = null;
let result = { ok: true, events: sealed.length, unsealed: rows.length - sealed.length };
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
  if (problem) {
    result = { ok: false, firstBadEvent: { id: row.id, seq: row.chainSeq, problem } };
    break;
  }
  previous = row;
}
console.log(JSON.stringify(result));
process.exit(result.ok ? 0 : 1);
