import "server-only";
import { randomInt } from "node:crypto";
import { getDb } from "../db";

export type Consumed = { slot: number; total: number };

/**
 * Takes one unit of a scope's budget for `day`, or returns null when every
 * slot is at its cap. Each attempt is one short statement outside the
 * request's transaction (the row lock lasts a statement, not a request); a
 * slot that filled up between choosing and locking is simply retried with
 * another. `total` is the scope's usage including this call (other in-flight
 * increments may not be visible yet).
 */
export async function consume(scopeId: string, day: string, caps: number[]): Promise<Consumed | null> {
  const db = getDb();
  const slots = caps.length;
  for (let attempt = 0; attempt <= slots; attempt++) {
    const start = randomInt(slots);
    const rows = await db.$queryRaw<{ slot: number; total: bigint }[]>`
      UPDATE usage_slot SET used = used + 1
      WHERE scope_id = ${scopeId} AND day = ${day}::date AND used < cap
        AND slot = (SELECT slot FROM usage_slot
                    WHERE scope_id = ${scopeId} AND day = ${day}::date AND used < cap
                    ORDER BY (slot - ${start} + ${slots}) % ${slots} LIMIT 1)
      RETURNING slot, (SELECT COALESCE(sum(used), 0) FROM usage_slot WHERE scope_id = ${scopeId} AND day = ${day}::date) + 1 AS total`;
    if (rows[0]) return { slot: rows[0].slot, total: Number(rows[0].total) };
    const state = await db.$queryRaw<{ n: bigint; free: bigint }[]>`
      SELECT count(*) AS n, count(*) FILTER (WHERE used < cap) AS free FROM usage_slot WHERE scope_id = ${scopeId} AND day = ${day}::date`;
    if (Number(state[0]?.n ?? 0) === 0) {
      // First call of the day for this scope: lay out its slots (concurrent first calls agree).
      await db.$executeRaw`
        INSERT INTO usage_slot (scope_id, day, slot, cap)
        SELECT ${scopeId}, ${day}::date, s.slot - 1, s.cap FROM unnest(${caps}::int[]) WITH ORDINALITY AS s(cap, slot)
        ON CONFLICT DO NOTHING`;
      continue;
    }
    if (Number(state[0]?.free ?? 0) === 0) return null;
  }
  return null;
}

/** Gives a unit back: the call was refused after counting, or was an idempotent replay. */
export async function refund(scopeId: string, day: string, slot: number): Promise<void> {
  await getDb()
    .$executeRaw`UPDATE usage_slot SET used = used - 1 WHERE scope_id = ${scopeId} AND day = ${day}::date AND slot = ${slot} AND used > 0`;
}

export async function usageOf(scopeId: string, day: string): Promise<number> {
  const rows = await getDb().$queryRaw<{ used: bigint }[]>`
    SELECT COALESCE(sum(used), 0) AS used FROM usage_slot WHERE scope_id = ${scopeId} AND day = ${day}::date`;
  return Number(rows[0]?.used ?? 0);
}

/** A new limit applies to the rest of today at once: today's caps are laid out again. */
export async function resizeToday(scopeId: string, day: string, caps: number[]): Promise<void> {
  await getDb().$executeRaw`
    UPDATE usage_slot u SET cap = s.cap
    FROM unnest(${caps}::int[]) WITH ORDINALITY AS s(cap, slot)
    WHERE u.scope_id = ${scopeId} AND u.day = ${day}::date AND u.slot = s.slot - 1`;
}
