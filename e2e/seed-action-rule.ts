/**
 * e2e only: `seed-action-rule.ts <workspace-slug> <rule JSON>` adds an action rule through the real
 * service (lib/server/actions/rules.ts), as the app's own role — like scripts/admin.ts — and prints
 * it. Stands in for the admin CLI's `rule create` (API.md "Admin CLI additions") until it lands.
 */
import { createRule } from "@/lib/server/actions/rules";
import { disconnectDb, getDb } from "@/lib/server/db";
import { ruleInputSchema } from "@/lib/validations/actions";
import { openAppDatabase } from "../scripts/lib/runtime";

const [slug, json] = process.argv.slice(2);
const db = (await openAppDatabase(() => {}, { migrate: false })).handle;
let code = 0;
try {
  const workspace = await getDb().workspace.findUniqueOrThrow({ where: { slug }, select: { id: true } });
  const rule = await createRule({
    workspaceId: workspace.id,
    actor: { type: "cli", id: "e2e", name: "e2e" },
    rule: ruleInputSchema.parse(JSON.parse(json!)),
  });
  process.stdout.write(JSON.stringify(rule));
} catch (error) {
  process.stderr.write(String(error));
  code = 1;
} finally {
  await disconnectDb().catch(() => {});
  await db.close();
}
process.exit(code);
