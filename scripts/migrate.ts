/**
 * `npm run db:migrate`: apply pending SQL migrations as the owner (DATABASE_MIGRATION_URL, else
 * DATABASE_URL, else the embedded database) and grant the app's role what it needs (app-role.ts).
 */
import { MigrationError } from "./lib/migrations";
import { openAppDatabase } from "./lib/runtime";

const log = (line: string) => console.log(`[db] ${line}`);
try {
  const { handle, app } = await openAppDatabase(log, { migrate: true });
  log(`the app connects as role ${app.role}`);
  await handle.close();
} catch (error) {
  console.error(`[db] ${error instanceof MigrationError ? error.message : error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
}
