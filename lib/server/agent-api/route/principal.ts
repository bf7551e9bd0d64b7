import "server-only";
import { checkCredential } from "@/lib/core/credential-policy";
import { AppError } from "@/lib/core/errors";
import { hashKey, parseBearer } from "@/lib/core/keys";
import { loadPrincipal, touchLastUsed, type AgentPrincipal } from "../authenticate";
import { forgetKey, rememberKey } from "./known-keys";
import type { AgentRequest, CallState } from "./types";

/** The bearer key's hash (the key itself goes no further); 401 when it is missing or malformed. */
export function keyHashOf(request: AgentRequest): string {
  const bearer = parseBearer(request.headers.get("authorization"));
  if (!bearer.ok) throw new AppError("unauthorized", bearer.message);
  return hashKey(bearer.key);
}

/**
 * The key's principal, loaded afresh (one round trip, uncached: a revocation or a disabled
 * identity takes effect on the very next call) into the call's state — so a known key's refusal is
 * audited under its identity — then 401 unless the key may be used now. A valid key is remembered
 * for the fast path, an invalid one forgotten.
 */
export async function authenticate(state: CallState, keyHash: string): Promise<AgentPrincipal> {
  const { now } = state;
  const principal = await loadPrincipal(keyHash, now);
  if (!principal) {
    forgetKey(keyHash);
    throw new AppError("unauthorized", "unknown API key");
  }
  state.principal = principal;
  const check = usableNow(principal, now);
  if (!check.ok) {
    forgetKey(keyHash);
    throw new AppError("unauthorized", check.message, { reason: check.reason });
  }
  rememberKey(keyHash, principal, now);
  touchLastUsed(principal.credential, now);
  return principal;
}

/** lib/core/credential-policy's rule for this principal's key at `now`. */
export function usableNow(principal: AgentPrincipal, now: Date) {
  return checkCredential({ ...principal.credential, identityStatus: principal.identity.status }, now);
}
