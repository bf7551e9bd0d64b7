/**
 * The SHA-256 of an action's arguments: what an approval binds to and what the audit trail
 * records (never the arguments themselves). Compared by meaning, like an idempotent request's
 * body — key order and whitespace do not matter — with the project's one canonical JSON.
 * Kept apart from `actions.ts` because it needs node:crypto, which the browser lacks.
 */
import { canonicalJson, sha256Hex } from "./idempotency";

/** Absent arguments are hashed as `null`, so "no arguments" and `"arguments": null` are the same request. */
export function argumentsSha256(args: unknown): string {
  return sha256Hex(canonicalJson(args === undefined ? null : args));
}
