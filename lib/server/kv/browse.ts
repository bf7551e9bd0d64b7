import "server-only";
import { getDb } from "../db";

/** Dashboard reads of the KV store: the namespace, one entry in full, and the entry's audit history. */
export function getNamespaceById(workspaceId: string, namespaceId: string) {
  return getDb().namespace.findFirst({
    where: { id: namespaceId, workspaceId },
    select: { id: true, name: true, description: true, defaultTtlSeconds: true, maxTtlSeconds: true },
  });
}

export function getEntryDetail(namespaceId: string, key: string, now: Date = new Date()) {
  return getDb().kvEntry.findFirst({
    where: { namespaceId, key, OR: [{ expiresAt: null }, { expiresAt: { gt: now } }] },
    select: {
      key: true,
      value: true,
      version: true,
      expiresAt: true,
      createdAt: true,
      updatedAt: true,
      updatedByType: true,
      updatedById: true,
      updatedByName: true,
      updateReason: true,
    },
  });
}

export async function getKeyHistory(workspaceId: string, namespace: string, key: string, take = 25) {
  const events = await getDb().auditEvent.findMany({
    where: { workspaceId, namespace, target: key },
    orderBy: [{ createdAt: "desc" }, { id: "desc" }],
    take,
    select: {
      id: true,
      action: true,
      outcome: true,
      actorType: true,
      actorName: true,
      reason: true,
      correlationId: true,
      requestId: true,
      details: true,
      createdAt: true,
    },
  });
  return events.map((e) => ({ ...e, id: e.id.toString() }));
}
