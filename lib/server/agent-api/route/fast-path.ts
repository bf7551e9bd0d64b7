import "server-only";
import { IDEMPOTENCY_RETENTION_SECONDS } from "@/lib/core/idempotency";
import { expressHeld } from "../../budgets/express-hold";
import { touchLastUsed } from "../authenticate";
import { knownPrincipal } from "./known-keys";
import { usableNow } from "./principal";
import { standardHeaders, respond } from "./reply";
import { fingerprintOf, MAX_BODY_BYTES, readBodyText, type AgentHeaders } from "./request";
import type { AgentReply, CallState } from "./types";

/** The body the fast path read, for the general path to use when it declines (or its read's error, to raise in order). */
export type EarlyBody = { text: string; error: unknown };
export type FastPathOutcome =
  { reply: AgentReply } | { reply: null; early: EarlyBody | null; fingerprint: string | null };

/**
 * A route's one-statement path (its `express` option), for a key this process has loaded and
 * found valid in the last minute, is still valid now, in a workspace that is not stopped, and not
 * held (budgets/express-hold.ts). It reads the body before the key is checked in the database:
 * a key not known here is looked up first and refused before its body is read. A body the general
 * path would refuse (too large, not UTF-8) is refused there, in its order (after the key and the
 * budget). Null reply: the general path takes the call, with the body and fingerprint read here.
 */
export async function tryFastPath(state: CallState, headers: AgentHeaders): Promise<FastPathOutcome> {
  const { options, request, keyHash, now } = state;
  const principal = options.express && keyHash ? knownPrincipal(keyHash) : undefined;
  if (
    !options.express ||
    !keyHash ||
    !principal ||
    principal.workspace.killSwitch ||
    !usableNow(principal, now).ok ||
    expressHeld(keyHash)
  ) {
    return { reply: null, early: null, fingerprint: null };
  }
  const early = await readBodyText(request, MAX_BODY_BYTES).then(
    (text): EarlyBody => ({ text, error: null }),
    (error: unknown): EarlyBody => ({ text: "", error }),
  );
  if (early.error) return { reply: null, early, fingerprint: null };
  // Computed once: when the fast path declines, the general path uses the same fingerprint.
  const fingerprint = headers.idempotencyKey ? fingerprintOf(request, early.text) : null;
  const fast = await options.express({
    request,
    keyHash,
    principal,
    bodyText: early.text,
    now,
    requestId: state.requestId,
    correlationId: state.correlationId,
    reason: state.reason,
    idempotency:
      headers.idempotencyKey && fingerprint
        ? {
            key: headers.idempotencyKey,
            fingerprint,
            expiresAt: new Date(now.getTime() + IDEMPOTENCY_RETENTION_SECONDS * 1000),
          }
        : null,
  });
  if (!fast) return { reply: null, early, fingerprint };
  touchLastUsed(fast.credential, now);
  return { reply: respond(fast.result, standardHeaders(state.requestId, state.correlationId, fast.budget)) };
}
