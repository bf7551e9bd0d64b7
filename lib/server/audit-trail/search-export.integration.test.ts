import { beforeAll, describe, expect, it } from "vitest";
import { parseCsv, type ExportRow } from "@/lib/core/audit-export";
import { auditFilterSchema, type AuditFilter } from "@/lib/validations/audit";
import { seedWorkspace, testActor } from "@/tests/fixtures";
import type { AuditEntry } from "../audit";
import { getDb } from "../db";
import { exportAudit } from "./export-audit";
import { searchAudit } from "./search-audit";
import { sealPendingEvents } from "./seal-events";

const alice = { type: "user" as const, id: "u_alice", name: "alice@example.test" };
const bot = { type: "identity" as const, id: "idn_bot", name: "invoice-bot" };

let workspaceId: string;
const DAY = 86_400_000;
const now = Date.now();

/** Writes an event, then moves its time (as a superuser could not: we insert it with that time instead). */
async function event(entry: Omit<AuditEntry, "workspaceId">, daysAgo = 0) {
  const at = new Date(now - daysAgo * DAY);
  await getDb().$executeRaw`
    INSERT INTO audit_event (workspace_id, actor_type, actor_id, actor_name, action, outcome, namespace, target,
                             reason, correlation_id, request_id, details, created_at)
    VALUES (${workspaceId}, ${entry.actor.type}::actor_type, ${entry.actor.id}, ${entry.actor.name}, ${entry.action},
            ${entry.outcome ?? "success"}::audit_outcome, ${entry.namespace ?? null}, ${entry.target ?? null},
            ${entry.reason ?? null}, ${entry.correlationId ?? null}, ${entry.requestId ?? null},
            ${JSON.stringify(entry.details ?? {})}::jsonb, ${at})`;
}

async function reasons(filter: Partial<Record<keyof AuditFilter, string>>): Promise<string[]> {
  const page = await searchAudit(workspaceId, auditFilterSchema.parse(filter), { limit: 500 });
  return page.items.map((e) => e.reason ?? "").sort();
}

beforeAll(async () => {
  ({
    workspace: { id: workspaceId },
  } = await seedWorkspace(["admin"]));
  await event(
    {
      actor: bot,
      action: "kv.put",
      namespace: "billing.runs",
      target: "inv-1",
      reason: "first draft",
      correlationId: "corr-A",
    },
    1,
  );
  await event(
    {
      actor: bot,
      action: "kv.put",
      namespace: "billing.runs",
      target: "inv-1",
      reason: "price fix, with a comma",
      correlationId: "corr-A",
    },
    0,
  );
  await event(
    {
      actor: bot,
      action: "kv.delete",
      namespace: "billing.runs",
      target: "inv-2",
      reason: 'said "no"',
      correlationId: "corr-B",
    },
    3,
  );
  await event(
    {
      actor: bot,
      action: "kv.put",
      namespace: "billing.runs",
      target: "inv-3",
      reason: "refused\nover two lines",
      outcome: "denied",
      details: { code: "forbidden_namespace" },
    },
    2,
  );
  await event(
    { actor: bot, action: "kv.put", namespace: "shared.config", target: "inv-1", reason: "other namespace" },
    10,
  );
  await event(
    { actor: alice, action: "identity.grants_changed", target: "invoice-bot", reason: "widen grants 100%_" },
    20,
  );
  await event({ actor: alice, action: "credential.revoked", target: "cred_1", reason: "leaked in a log" }, 40);
  await event({ actor: testActor, action: "workspace.updated", reason: "cli change" }, 5);
});

describe("audit search", () => {
  it("filters by actor, actor type, action (exact or prefix), namespace, target, correlation id and outcome", async () => {
    expect(await reasons({ actor: "alice@example.test" })).toEqual(["leaked in a log", "widen grants 100%_"]);
    expect(await reasons({ actorType: "cli" })).toContain("cli change");
    expect(await reasons({ actorType: "user" })).toEqual(["leaked in a log", "widen grants 100%_"]);
    expect(await reasons({ action: "kv.delete" })).toEqual(['said "no"']);
    expect(await reasons({ action: "kv.*" })).toHaveLength(5);
    expect(await reasons({ namespace: "shared.config" })).toEqual(["other namespace"]);
    expect(await reasons({ namespace: "billing.runs", target: "inv-1" })).toEqual([
      "first draft",
      "price fix, with a comma",
    ]);
    expect(await reasons({ target: "inv-1" })).toHaveLength(3);
    expect(await reasons({ correlation: "corr-A" })).toEqual(["first draft", "price fix, with a comma"]);
    expect(await reasons({ outcome: "denied" })).toEqual(["refused\nover two lines"]);
  });

  it("filters by time range and by free text in the reason (wildcards taken literally)", async () => {
    const iso = (daysAgo: number) => new Date(now - daysAgo * DAY).toISOString();
    expect(await reasons({ namespace: "billing.runs", from: iso(2.5) })).toEqual([
      "first draft",
      "price fix, with a comma",
      "refused\nover two lines",
    ]);
    expect(await reasons({ actor: "alice@example.test", from: iso(30) })).toEqual(["widen grants 100%_"]);
    expect(await reasons({ actor: "alice@example.test", to: iso(30) })).toEqual(["leaked in a log"]);
    expect(await reasons({ q: "LEAKED" })).toEqual(["leaked in a log"]);
    expect(await reasons({ q: "100%_" })).toEqual(["widen grants 100%_"]);
    expect(await reasons({ q: "%" })).toEqual(["widen grants 100%_"]);
    expect(await reasons({ q: "nothing like this" })).toEqual([]);
  });

  it("paginates newest first with a keyset cursor, no row twice, none missed", async () => {
    const all = await searchAudit(workspaceId, {}, { limit: 500 });
    const seen: ExportRow[] = [];
    let cursor = null;
    for (;;) {
      const page = await searchAudit(workspaceId, {}, { limit: 3, cursor });
      seen.push(...page.items);
      if (!page.nextCursor) break;
      cursor = page.nextCursor;
    }
    expect(seen.map((e) => e.id)).toEqual(all.items.map((e) => e.id));
    const times = seen.map((e) => e.createdAt);
    expect([...times].sort().reverse()).toEqual(times);
  });
});

describe("audit export", () => {
  async function collect(format: "ndjson" | "csv", filter: AuditFilter = {}) {
    let text = "";
    for await (const chunk of await exportAudit({ workspaceId, filter, format, actor: testActor, pageSize: 3 }))
      text += chunk;
    return text;
  }

  it("exports exactly what the search shows, with the seals, as NDJSON", async () => {
    await sealPendingEvents({ wait: true });
    const text = await collect("ndjson", { namespace: "billing.runs" });
    const rows = text
      .trimEnd()
      .split("\n")
      .map((line) => JSON.parse(line) as ExportRow);
    const search = await searchAudit(workspaceId, { namespace: "billing.runs" }, { limit: 500 });
    expect(rows).toEqual(JSON.parse(JSON.stringify(search.items)));
    expect(rows).toHaveLength(4);
    expect(rows.every((r) => /^[0-9a-f]{64}$/.test(r.hash ?? ""))).toBe(true);
  });

  it("exports CSV whose reasons keep their commas, quotes and newlines", async () => {
    const text = await collect("csv", { namespace: "billing.runs" });
    const [header, ...rows] = parseCsv(text);
    expect(header).toContain("hash");
    const reason = header!.indexOf("reason");
    expect(rows.map((r) => r[reason]).sort()).toEqual([
      "first draft",
      "price fix, with a comma",
      "refused\nover two lines",
      'said "no"',
    ]);
    const search = await searchAudit(workspaceId, { namespace: "billing.runs" }, { limit: 500 });
    expect(rows.map((r) => r[header!.indexOf("id")])).toEqual(search.items.map((e) => e.id));
    expect(JSON.parse(rows[0]![header!.indexOf("details")]!)).toEqual(search.items[0]!.details);
  });

  it("is itself audited, with the format and the filter", async () => {
    await collect("csv", { correlation: "corr-B" });
    const page = await searchAudit(workspaceId, { action: "audit.exported" }, { limit: 1 });
    expect(page.items[0]).toMatchObject({
      actorName: testActor.name,
      details: { format: "csv", filter: { correlation: "corr-B" } },
    });
  });
});
