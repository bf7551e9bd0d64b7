import "server-only";
import type { ExportRow } from "@/lib/core/audit-export";
import { getDb } from "../db";

export type EventLink = { label: string; href: string };

/**
 * Links from audit events to what they touch: the task, the escalation, the
 * KV key (in the key browser), the identity (as actor, or as target by name
 * or through one of its keys). Looked up in a few batched queries per page.
 */
export async function resolveEventLinks(
  workspace: { id: string; slug: string },
  events: ExportRow[],
): Promise<Record<string, EventLink[]>> {
  const db = getDb();
  const base = `/w/${workspace.slug}`;
  const namespaces = [...new Set(events.map((e) => e.namespace).filter((n): n is string => Boolean(n)))];
  const targets = [...new Set(events.map((e) => e.target).filter((t): t is string => Boolean(t)))];
  const actorIdentityIds = [
    ...new Set(events.filter((e) => e.actorType === "identity" && e.actorId).map((e) => e.actorId!)),
  ];
  const [nsRows, identitiesByName, identitiesById, credentials] = await Promise.all([
    namespaces.length
      ? db.namespace.findMany({
          where: { workspaceId: workspace.id, name: { in: namespaces } },
          select: { id: true, name: true },
        })
      : [],
    targets.length
      ? db.identity.findMany({
          where: { workspaceId: workspace.id, name: { in: targets } },
          select: { id: true, name: true },
        })
      : [],
    actorIdentityIds.length
      ? db.identity.findMany({
          where: { workspaceId: workspace.id, id: { in: actorIdentityIds } },
          select: { id: true, name: true },
        })
      : [],
    targets.some((t) => t.startsWith("cred_"))
      ? db.credential.findMany({
          where: { workspaceId: workspace.id, id: { in: targets.filter((t) => t.startsWith("cred_")) } },
          select: { id: true, identityId: true },
        })
      : [],
  ]);
  const out: Record<string, EventLink[]> = {};
  for (const e of events) {
    const links: EventLink[] = [];
    const target = e.target ?? "";
    if (target.startsWith("task_")) links.push({ label: `Task ${target}`, href: `${base}/tasks/${target}` });
    if (target.startsWith("esc_")) links.push({ label: `Escalation ${target}`, href: `${base}/escalations/${target}` });
    const ns = nsRows.find((n) => n.name === e.namespace);
    if (ns && target && e.action.startsWith("kv.")) {
      links.push({
        label: `Key ${target}`,
        href: `${base}/namespaces/${ns.id}/entry?key=${encodeURIComponent(target)}`,
      });
    } else if (ns) {
      links.push({ label: `Namespace ${ns.name}`, href: `${base}/namespaces/${ns.id}` });
    }
    const actorIdentity = identitiesById.find((i) => i.id === e.actorId && e.actorType === "identity");
    if (actorIdentity)
      links.push({ label: `Identity ${actorIdentity.name}`, href: `${base}/identities/${actorIdentity.id}` });
    const targetIdentity = e.action.startsWith("identity.") && identitiesByName.find((i) => i.name === target);
    if (targetIdentity && targetIdentity.id !== actorIdentity?.id)
      links.push({ label: `Identity ${targetIdentity.name}`, href: `${base}/identities/${targetIdentity.id}` });
    const credential = credentials.find((c) => c.id === target);
    if (credential)
      links.push({ label: `Identity of key ${credential.id}`, href: `${base}/identities/${credential.identityId}` });
    if (e.correlationId)
      links.push({
        label: "Everything with this correlation id",
        href: `${base}/audit?correlation=${encodeURIComponent(e.correlationId)}`,
      });
    out[e.id] = links;
  }
  return out;
}
