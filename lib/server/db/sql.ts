import "server-only";
import { createHash } from "node:crypto";
import type pg from "pg";
import { getPool } from "./pool";
import type { Tx } from "./prisma";

/**
 * The SQL the hot path runs, without the ORM: a statement and its parameters,
 * rows back. The agent API's KV calls, key lookup and budget counters use it
 * on the process's one `pg` pool (Prisma's adapter shares the same pool), so a
 * guarded write costs a handful of short round trips and little CPU. Code that
 * must also run inside a Prisma transaction takes a `Sql` and is given
 * `prismaSql(tx)` there.
 */
/** The error a one-statement path raises to roll itself back (agent_kv_put, agent_action_request): the general path takes the call. */
export const LEFT_TO_GENERAL_PATH = "BKV01";

export type Sql = {
  query<T>(text: string, values?: unknown[]): Promise<T[]>;
};

// Each statement text is prepared once per connection (PostgreSQL parses and plans it once).
const names = new Map<string, string>();
function statementName(text: string): string {
  let name = names.get(text);
  if (!name) {
    name = `bkv_${createHash("sha1").update(text).digest("hex").slice(0, 16)}`;
    names.set(text, name);
  }
  return name;
}

function on(client: pg.Pool | pg.PoolClient): Sql {
  return {
    async query<T>(text: string, values: unknown[] = []) {
      const result = await client.query({ name: statementName(text), text, values });
      return result.rows as T[];
    },
  };
}

/** Autocommit statements on the pool. */
export function poolSql(): Sql {
  return on(getPool());
}

/**
 * Runs `fn` in a transaction on one pooled connection: committed when it
 * returns, rolled back when it throws (and the connection discarded if even
 * the rollback fails).
 */
export async function pgTransaction<T>(fn: (sql: Sql) => Promise<T>): Promise<T> {
  const client = await getPool().connect();
  let broken: Error | undefined;
  try {
    await client.query("BEGIN");
    const result = await fn(on(client));
    await client.query("COMMIT");
    return result;
  } catch (error) {
    await client.query("ROLLBACK").catch((rollbackError: Error) => (broken = rollbackError));
    throw error;
  } finally {
    client.release(broken);
  }
}

/** The same `Sql` inside a Prisma transaction (or on the Prisma client). */
export function prismaSql(tx: Tx): Sql {
  return {
    query<T>(text: string, values: unknown[] = []) {
      return tx.$queryRawUnsafe<T[]>(text, ...values);
    },
  };
}
