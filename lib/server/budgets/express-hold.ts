import "server-only";
import { LRUCache } from "lru-cache";

/**
 * Keys whose workspace the general path last found degraded or stopped.
 *
 * The one-statement PUT (prisma/sql/agent_kv_put.sql) learns the day's total
 * only after its work, and rolls the whole statement back when the workspace is
 * no longer normal — so in a degraded or stopped workspace every guarded write
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
