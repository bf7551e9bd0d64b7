import "server-only";
import { LRUCache } from "lru-cache";

/**
 * Keys whose workspace the general path last found degraded or stopped.
 *
 * The one-statement PUT (`agent_kv_put`) reads the degrade threshold once,
 * after its work, and rolls the whole statement back when the workspace is no
 * longer normal — so in a degraded or stopped workspace every guarded write
 * would be done, undone, and done again by the general path. For a few seconds
 * after the general path has seen such a workspace, that key's writes go to the
 * general path directly. A hint only: it picks the path, never the answer.
 */
const held = new LRUCache<string, true>({ max: 10_000, ttl: 5_000 });

export function holdExpress(keyHash: string): void {
  held.set(keyHash, true);
}

export function expressHeld(keyHash: string): boolean {
  return held.has(keyHash);
}

/**
 * Keys this process has found valid in the last minute. Only these take the one-statement path,
 * which reads the body before the key is known (the statement itself checks the key): a key not
 * seen — unknown, mistyped, forged — is looked up first and refused before a byte of its body is
 * read, parsed or sent to the database (security review #17.2: a 1 MB PUT under a fake key cost
 * 360 ms of server time). A valid key's first call in a minute takes the general path (one more
 * round trip); every later one the hot path. A key revoked, expired or disabled after it was
 * vouched for can make the hot path carry one more body: the statement refuses it, the general
 * path finds it invalid and forgets it here, so its next call is refused before its body.
 */
const VOUCH_MS = 60_000;
const vouched = new LRUCache<string, true>({ max: 10_000, ttl: VOUCH_MS });

export function vouchForKey(keyHash: string, expiresAt: Date, now: Date): void {
  const ttl = Math.min(VOUCH_MS, expiresAt.getTime() - now.getTime());
  if (ttl > 0) vouched.set(keyHash, true, { ttl });
}

export function keyVouchedFor(keyHash: string): boolean {
  return vouched.has(keyHash);
}

export function forgetKey(keyHash: string): void {
  vouched.delete(keyHash);
}
