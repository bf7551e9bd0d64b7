import { describe, expect, it } from "vitest";
import { isAppError } from "@/lib/core/errors";
import { auditEvents, seedWorkspace, testActor } from "@/tests/fixtures";
import { getDb } from "../db";
import { BROWSE_PAGE_SIZE, browseNamespace } from "./browse-namespace";
import { createNamespace } from "./create-namespace";
import { deleteNamespaceEntry } from "./delete-namespace-entry";

/** The dashboard's key browser (namespaces/[namespaceId]): its read and its delete, by namespace ID. */
async function seed() {
  const { workspace } = await seedWorkspace(["admin"]);
  const namespace = await createNamespace({
    workspaceId: workspace.id,
    actor: testActor,
    name: "billing.runs",
    defaultTtlSeconds: null,
    maxTtlSeconds: null,
  });
  const put = (key: string, expired = false) => getDb().$executeRaw`
    INSERT INTO kv_entry (workspace_id, namespace_id, key, value, version, expires_at, updated_by_type, updated_by_name)
    VALUES (${workspace.id}, ${namespace.id}, ${key}, '{"n":1}'::jsonb, 3,
            ${expired ? new Date(Date.now() - 60_000) : null}, 'cli', 'key-browser-test')`;
  /** The page's read and its delete, as this workspace (`as`: another one's ID, with this namespace's ID). */
  const browse = (prefix: string, cursor: string | null, as = workspace.id) =>
    browseNamespace({ workspaceId: as, namespaceId: namespace.id, prefix, cursor });
  const remove = (key: string, reason: string, as = workspace.id) =>
    deleteNamespaceEntry({ workspaceId: as, namespaceId: namespace.id, key, actor: testActor, reason });
  return { workspace, namespace, put, browse, remove };
}

const notFound = (error: unknown) => isAppError(error) && error.code === "not_found";

describe("browseNamespace", () => {
  it("pages the live keys under a prefix in byte order, then finds another workspace's namespace ID nowhere", async () => {
    const a = await seed();
    const keys = Array.from({ length: BROWSE_PAGE_SIZE + 2 }, (_, i) => `k/${String(i).padStart(3, "0")}`);
    for (const key of keys) await a.put(key);
    await a.put("k/expired", true);
    await a.put("other");

    const first = await a.browse("k/", null);
    expect(first?.namespace).toMatchObject({ id: a.namespace.id, name: "billing.runs" });
    expect(first?.keys.items.map((i) => i.key)).toEqual(keys.slice(0, BROWSE_PAGE_SIZE));
    expect(first?.keys.items[0]).toMatchObject({ version: 3, updatedByName: "key-browser-test", updatedByType: "cli" });
    expect(first?.keys.nextCursor).toEqual(expect.any(String));

    const second = await a.browse("k/", first!.keys.nextCursor);
    expect(second?.keys).toEqual({ items: expect.any(Array), nextCursor: null });
    expect(second?.keys.items.map((i) => i.key)).toEqual(keys.slice(BROWSE_PAGE_SIZE));

    // A cursor that is not one reads as the first page (as before: the page never fails on a hand-edited URL).
    const garbled = await a.browse("", "not a cursor!");
    expect(garbled?.keys.items[0]?.key).toBe("k/000");

    const b = await seedWorkspace(["admin"]);
    expect(await a.browse("", null, b.workspace.id)).toBeNull();
  });
});

describe("deleteNamespaceEntry", () => {
  it("deletes the key with its audit event (actor, reason, version before), then refuses it as not found", async () => {
    const a = await seed();
    await a.put("to-go");
    const result = await a.remove("to-go", "cleaning up");
    expect(result).toEqual({ namespace: "billing.runs", key: "to-go", deleted: true, version: 3 });
    expect(await getDb().kvEntry.count({ where: { namespaceId: a.namespace.id, key: "to-go" } })).toBe(0);
    const [event] = await auditEvents({ workspaceId: a.workspace.id, action: "kv.delete", target: "to-go" });
    expect(event).toMatchObject({
      outcome: "success",
      namespace: "billing.runs",
      actorType: "cli",
      actorName: testActor.name,
      reason: "cleaning up",
      details: { versionBefore: 3, versionAfter: null },
    });

    await expect(a.remove("to-go", "cleaning up")).rejects.toSatisfy(notFound);
  });

  it("with another workspace's namespace ID: not found, the entry untouched, nothing audited", async () => {
    const a = await seed();
    const key = `kept-${a.workspace.slug}`;
    await a.put(key);
    const b = await seedWorkspace(["admin"]);
    await expect(a.remove(key, "not mine", b.workspace.id)).rejects.toSatisfy(notFound);
    expect(await getDb().kvEntry.count({ where: { namespaceId: a.namespace.id, key } })).toBe(1);
    expect(await auditEvents({ action: "kv.delete", target: key })).toEqual([]);
  });
});
