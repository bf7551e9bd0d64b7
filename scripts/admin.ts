/** `npm run admin -- <command> [flags]`: see lib/server/cli/admin-cli.ts and API.md "Admin CLI". */
import { runAdminCli } from "@/lib/server/cli/admin-cli";
import { disconnectDb } from "@/lib/server/db";
import { resolveDatabase } from "./lib/runtime";

const argv = process.argv.slice(2);
let code = 0;
const needsDb = argv.length > 0 && argv[0] !== "help" && argv[0] !== "--help";
// Quiet: stdout is one JSON document and stderr at most one error line.
const db = needsDb ? await resolveDatabase(() => {}) : null;
if (db) process.env.DATABASE_URL = db.url;
try {
  // Streamed output (audit export) goes straight to stdout, waiting for it to drain: memory stays flat.
  const write = (chunk: string) =>
    new Promise<void>((resolve, reject) => {
      if (process.stdout.write(chunk)) resolve();
      else process.stdout.once("drain", resolve).once("error", reject);
    });
  const result = await runAdminCli(argv, undefined, write);
  process.stdout.write(result.stdout);
  process.stderr.write(result.stderr);
  code = result.code;
} finally {
  await disconnectDb().catch(() => {});
  await db?.close();
}
process.exit(code);
