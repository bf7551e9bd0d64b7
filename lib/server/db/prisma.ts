import "server-only";
import { PrismaPg } from "@prisma/adapter-pg";
import { PrismaClient, type Prisma } from "@/lib/generated/prisma/client";
import { closePool, getPool } from "./pool";

export type Db = PrismaClient;
/** A client or an open transaction: services that write take this. */
export type Tx = Prisma.TransactionClient;

function createClient(): PrismaClient {
  return new PrismaClient({ adapter: new PrismaPg(getPool()) });
}

// One client per process; Next's dev server re-evaluates modules, so keep it on globalThis.
const globalForDb = globalThis as unknown as { basekvDb?: PrismaClient };

export function getDb(): PrismaClient {
  globalForDb.basekvDb ??= createClient();
  return globalForDb.basekvDb;
}

export async function disconnectDb(): Promise<void> {
  await globalForDb.basekvDb?.$disconnect();
  globalForDb.basekvDb = undefined;
  await closePool();
}

/**
 * For a Prisma transaction that many callers may open at once (agent writes, parallel sign-ins):
 * wait up to 10 s for a connection of the pool rather than Prisma's default 2 s, so a burst queues
 * instead of failing.
 */
export const BUSY_TX_OPTIONS = { maxWait: 10_000, timeout: 20_000 } as const;
