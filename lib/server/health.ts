import "server-only";
import { getDb } from "./db";

export type Health = { status: "ok" | "error"; database: "ok" | "down" };

/** A bounded `SELECT 1`: a database that hangs counts as down after `timeoutMs`. */
export async function checkHealth(timeoutMs = 2_000): Promise<Health> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      getDb().$queryRaw`SELECT 1`,
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error("database health check timed out")), timeoutMs);
      }),
    ]);
    return { status: "ok", database: "ok" };
  } catch {
    return { status: "error", database: "down" };
  } finally {
    clearTimeout(timer);
  }
}
