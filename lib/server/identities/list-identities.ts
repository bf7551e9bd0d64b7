import "server-only";
import { getDb } from "../db";

export function listIdentities(workspaceId: string, now: Date = new Date()) {
  return getDb().identity.findMany({
    where: { workspaceId },
    orderBy: { name: "asc" },
    select: {
      id: true,
      name: true,
      status: true,
      createdAt: true,
      workflowClass: { select: { name: true } },
      grants: { select: { pattern: true, access: true }, orderBy: { pattern: "asc" } },
      _count: { select: { credentials: { where: { revokedAt: null, expiresAt: { gt: now } } } } },
    },
  });
}

export function getIdentity(workspaceId: string, identityId: string) {
  return getDb().identity.findFirst({
    where: { id: identityId, workspaceId },
    select: {
      id: true,
      name: true,
      description: true,
      status: true,
      statusReason: true,
      createdAt: true,
      workflowClass: { select: { id: true, name: true } },
      grants: { select: { pattern: true, access: true }, orderBy: { pattern: "asc" } },
      credentials: {
        orderBy: { createdAt: "desc" },
        select: {
          id: true,
          prefix: true,
          createdAt: true,
          createdBy: true,
          expiresAt: true,
          lastUsedAt: true,
          dailyWriteCeiling: true,
          revokedAt: true,
          revokedBy: true,
          revokedReason: true,
          rotatedFromId: true,
        },
      },
    },
  });
}
