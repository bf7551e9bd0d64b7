import "server-only";
import { LRUCache } from "lru-cache";
import type { AgentPrincipal } from "../authenticate";

/**
 * Keys this process has loaded and found valid in the last minute, with the principal it loaded.
 *
 * Only these take a route's fast path, which reads the body before the key is checked (its one
 * statement checks it): a key not known here — unknown, mistyped, forged — is looked up first and
 * refused before a byte of its body is read, parsed or sent to the database (security review
 * #17.2: a 1 MB PUT under a fake key cost 360 ms of server time). The fast path decides from the
 * remembered principal (grants, budget threshold, day) and its statement acts only while the
 * principal in the database is unchanged (prisma/sql/principal_stamp.sql), so a revocation, a
 * disabled identity or a changed grant or limit takes effect on the next call all the same: the
 * statement declines, the general path loads the key afresh and decides (and forgets the key here
 * if it is no longer valid).
 */
const KNOWN_MS = 60_000;
const known = new LRUCache<string, AgentPrincipal>({ max: 10_000, ttl: KNOWN_MS });

export function rememberKey(keyHash: string, principal: AgentPrincipal, now: Date): void {
  const ttl = Math.min(KNOWN_MS, principal.credential.expiresAt.getTime() - now.getTime());
  if (ttl > 0) known.set(keyHash, principal, { ttl });
}

export function knownPrincipal(keyHash: string): AgentPrincipal | undefined {
  return known.get(keyHash);
}

export function forgetKey(keyHash: string): void {
  known.delete(keyHash);
}
