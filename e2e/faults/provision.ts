/**
 * One process provisions a fault test's tenant through the admin CLI's own
 * commands (audited as `cli`, like an operator would): a workspace with a daily
 * request limit, a namespace, a class, an identity and a key with a daily write
 * ceiling — so both budget counters are exercised. Prints one JSON document.
 *
 *   DATABASE_URL=… tsx --conditions=react-server e2e/faults/provision.ts <slug>
 */
import { runAdminCli } from "@/lib/server/cli/admin-cli";
import { disconnectDb } from "@/lib/server/db";

const slug = process.argv[2] ?? "faults";
async function cli(...argv: string[]): Promise<Record<string, unknown>> {
  const result = await runAdminCli(argv);
  if (result.code !== 0) throw new Error(`admin ${argv.join(" ")}: ${result.stderr}`);
  return JSON.parse(result.stdout) as Record<string, unknown>;
}

try {
  const workspace = await cli("workspace", "create", "--slug", slug, "--daily-requests", "1000000");
  await cli("namespace", "create", "--workspace", slug, "--name", "faults.data");
  await cli("namespace", "create", "--workspace", slug, "--name", "faults.runs");
  await cli("class", "create", "--workspace", slug, "--name", "faults", "--heartbeat-timeout-s", "3600");
  await cli(
    "identity",
    "create",
    "--workspace",
    slug,
    "--name",
    "fault-bot",
    "--class",
    "faults",
    "--grant",
    "faults.*:readwrite",
  );
  const key = await cli("key", "create", "--workspace", slug, "--identity", "fault-bot", "--daily-writes", "1000000");
  process.stdout.write(JSON.stringify({ slug, workspaceId: workspace.id, credentialId: key.id, key: key.key }) + "\n");
} finally {
  await disconnectDb().catch(() => {});
}
process.exit(0);
