/**
 * The database, in one module: the pool (pool.ts), the Prisma client on it
 * (prisma.ts), and plain SQL with its transactions (sql.ts). Import from
 * `@/lib/server/db`, never from the files.
 */
export { closePool, getPool } from "./pool";
export { BUSY_TX_OPTIONS, disconnectDb, getDb, type Db, type Tx } from "./prisma";
export { LEFT_TO_GENERAL_PATH, pgTransaction, poolSql, prismaSql, type Sql } from "./sql";
