import "server-only";
import { randomInt } from "node:crypto";
import { redistributeCaps } from "@/lib/core/budget";
import { pgTransaction, poolSql } from "../db";

export type Taken =
  | { refused: null; workspace: { slot: number; total: number }; credential: { slot: number; total: number } | null }
  | { refused: "requests"; workspace: null; credential: null }
  | { refused: "writes"; workspace: null; credential: null };

type TakeRow = {
  refused: "requests" | "writes" | null;
  workspace_slot: number | null;
  workspace_total: string | null;
  credential_slot: number | null;
  credential_total: string | null;
};

/**
 * One call's budget in one statement (the `budget_take` function,
 * prisma/sql/budget_take.sql): a unit of the workspace's daily requests and,
 * for a write, a unit of the key's daily writes — both or neither. Each unit
 * is an increment of a counter slot still below its cap, so accepted calls
 * never exceed a limit and concurrent calls update different rows; the row
 * locks last this statement, not the request. Totals include this call (other
 * in-flight increments may not be visible yet).
 */
export async function take(input: {
  day: string;
  workspace: { id: string; caps: number[] };
  credential: { id: string; caps: number[] } | null;
}): Promise<Taken> {
  const [row] = await poolSql().query<TakeRow>(
    `SELECT * FROM budget_take($1::date, $2, $3::int[], $4, $5::int[], $6)`,
    [
      input.day,
      input.workspace.id,
      input.workspace.caps,
      input.credential?.id ?? null,
      input.credential?.caps ?? null,
      randomInt(input.workspace.caps.length),
    ],
  );
  if (!row || row.refused === "requests") return { refused: "requests", workspace: null, credential: null };
  if (row.refused === "writes") return { refused: "writes", workspace: null, credential: null };
  return {
    refused: null,
    workspace: { slot: row.workspace_slot!, total: Number(row.workspace_total) },
    credential:
      row.credential_slot === null ? null : { slot: row.credential_slot, total: Number(row.credential_total) },
  };
}

/** Gives units back (one per slot listed): the call was refused after counting, or was an idempotent replay. */
export async function refund(day: string, units: { scopeId: string; slot: number }[]): Promise<void> {
  await poolSql().query(
    `UPDATE usage_slot u SET used = u.used - 1
     FROM unnest($2::text[], $3::int[]) AS r(scope_id, slot)
     WHERE u.scope_id = r.scope_id AND u.day = $1::date AND u.slot = r.slot AND u.used > 0`,
    [day, units.map((u) => u.scopeId), units.map((u) => u.slot)],
  );
}

export async function usageOf(scopeId: string, day: string): Promise<number> {
  const rows = await poolSql().query<{ used: string }>(
    `SELECT COALESCE(sum(used), 0) AS used FROM usage_slot WHERE scope_id = $1 AND day = $2::date`,
    [scopeId, day],
  );
  return Number(rows[0]?.used ?? 0);
}

/**
 * A new limit applies to the rest of today at once. Today's slots are locked
 * (a call taking a unit meanwhile waits, or takes its unit first), each keeps
 * what it has used, and what is left of the new limit is shared out among them
 * (`redistributeCaps`): the calls still accepted today are exactly
 * `limit - used`. Slots not laid out yet — none used today — are added.
 */
export async function resizeToday(scopeId: string, day: string, limit: number | null, slots: number): Promise<void> {
  await pgTransaction(async (sql) => {
    await sql.query(
      `INSERT INTO usage_slot (scope_id, day, slot, cap)
       SELECT $1, $2::date, s, 0 FROM generate_series(0, $3::int - 1) AS s
       ON CONFLICT (scope_id, day, slot) DO NOTHING`,
      [scopeId, day, slots],
    );
    const rows = await sql.query<{ slot: number; used: number }>(
      `SELECT slot, used FROM usage_slot WHERE scope_id = $1 AND day = $2::date ORDER BY slot FOR UPDATE`,
      [scopeId, day],
    );
    const caps = redistributeCaps(
      limit,
      rows.map((r) => r.used),
    );
    await sql.query(
      `UPDATE usage_slot u SET cap = c.cap
       FROM unnest($3::int[], $4::int[]) AS c(slot, cap)
       WHERE u.scope_id = $1 AND u.day = $2::date AND u.slot = c.slot`,
      [scopeId, day, rows.map((r) => r.slot), caps],
    );
  });
}
