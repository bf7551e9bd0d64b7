/**
 * `npm run admin -- <command> [flags]`: see lib/server/cli/admin-cli.ts and API.md "Admin CLI".
 * `npm run admin -- batch`: commands from stdin, one JSON array of words per line (`runBatchLine`).
 */
import { createInterface } from "node:readline";
import { runAdminCli, runBatchLine } from "@/lib/server/cli/admin-cli";
import { disconnectDb } from "@/lib/server/db";
import { DATA_DIR } from "./lib/paths";
import { ensureAuditSigningKey, openAppDatabase } from "./lib/runtime";

const argv = process.argv.slice(2);
let code = 0;
// The same signing key and anchor file as `npm start` (audit checkpoint, verify, key rotate).
process.env.AUDIT_SIGNING_KEY = ensureAuditSigningKey();
process.env.BASEKV_DATA_DIR ??= DATA_DIR;
const needsDb = argv.length > 0 && argv[0] !== "help" && argv[0] !== "--help";
// Quiet: stdout is one JSON document and stderr at most one error line.
// As the app's own role, never as the owner (issue #18): the CLI changes what the app may change.
const db = needsDb ? (await openAppDatabase(() => {}, { migrate: false })).handle : null;
try {
  // Streamed output (audit export) goes straight to stdout, waiting for it to drain: memory stays flat.
  const write = (chunk: string) =>
    new Promise<void>((resolve, reject) => {
      if (process.stdout.write(chunk)) resolve();
      else process.stdout.once("drain", resolve).once("error", reject);
    });
  if (argv[0] === "batch" && argv.length === 1) {
    // One answer line per command line, written as soon as it ran (a driver may wait for each).
    for await (const line of createInterface({ input: process.stdin, crlfDelay: Infinity })) {
      const ran = await runBatchLine(line);
      if (ran === null) continue;
      await write(`${ran.answer}\n`);
      if (!ran.ok) code = 1;
    }
  } else {
    const result = await runAdminCli(argv, undefined, write);
    process.stdout.write(result.stdout);
    process.stderr.write(result.stderr);
    code = result.code;
  }
} finally {
  await disconnectDb().catch(() => {});
  await db?.close();
}
process.exit(code);
