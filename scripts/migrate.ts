/** `npm run db:migrate`: apply pending SQL migrations to DATABASE_URL (or the embedded database). */
import { migrate, MigrationError } from "./lib/migrations";
import { resolveDatabase } from "./lib/runtime";

const log = (line: string) => console.log(`[db] ${line}`);
const db = await resolveDatabase(log);
try {
  const result = await migrate(db.url, { log });
  console.log(
    result.applied.length
      ? `[db] applied ${result.applied.length} migration(s)`
      : `[db] up to date (${result.alreadyApplied} migration(s) applied)`,
  );
} catch (error) {
  console.error(`[db] ${error instanceof MigrationError ? error.message : String(error)}`);
  process.exitCode = 1;
} finally {
  await db.close();
}
