import "server-only";
import pg from "pg";
import { env } from "@/lib/env";

/**
 * The process's one connection pool. Prisma's adapter (prisma.ts) and the plain
 * SQL of the hot path (sql.ts) share it, so DATABASE_POOL_SIZE is the whole
 * process's budget of connections.
 */
const globalForPg = globalThis as unknown as { basekvPool?: pg.Pool };

export function getPool(): pg.Pool {
  globalForPg.basekvPool ??= new pg.Pool({
    connectionString: env().DATABASE_URL,
    max: env().DATABASE_POOL_SIZE,
    // Fail fast when the database is unreachable, instead of queueing forever.
    connectionTimeoutMillis: 5_000,
  });
  return globalForPg.basekvPool;
}

export async function closePool(): Promise<void> {
  const pool = globalForPg.basekvPool;
  globalForPg.basekvPool = undefined;
  await pool?.end();
}
