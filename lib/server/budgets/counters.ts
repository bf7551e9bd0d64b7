import "server-only";
import { randomInt } from "node:crypto";
import { UNLIMITED } from "@/lib/core/budget";
import { pgTransaction, poolSql, type Sql } from "../db";

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
    `SELECT * FROM budget_take($1::date, $2, $3::bigint[], $4, $5::bigint[], $6)`,
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
 * A new limit applies to the rest of the period at once: the period's slots (added with nothing
 * used if not laid out yet) are locked and laid out again under it (prisma/sql/budget_lay_out.sql):
 * each keeps what it has used and the room left is shared out, so what is still accepted is
 * exactly `limit - used` (nothing once more than the new limit is used). In the caller's transaction.
 */
export async function resize(sql: Sql, scopeId: string, period: string, limit: bigint | number, slots: number) {
  await sql.query(
    `INSERT INTO usage_slot (scope_id, day, slot, cap)
     SELECT $1, $2::date, s, 0 FROM generate_series(0, $3::int - 1) AS s
     ON CONFLICT (scope_id, day, slot) DO NOTHING`,
    [scopeId, period, slots],
  );
  await sql.query(`SELECT budget_lay_out($1, $2::date, $3::bigint, 0, 0, true)`, [scopeId, period, String(limit)]);
}

/** A request or write limit changed: today's counters follow it at once (`resize`). */
export async function resizeToday(scopeId: string, day: string, limit: number | null, slots: number): Promise<void> {
  await pgTransaction((sql) => resize(sql, scopeId, day, limit ?? UNLIMITED, slots));
}
