import "server-only";
import { AppError } from "@/lib/core/errors";
import type { Sql } from "../db";

export type NamespacePolicy = {
  id: string;
  name: string;
  defaultTtlSeconds: number | null;
  maxTtlSeconds: number | null;
};

const RESOLVE = `
  SELECT id, name, default_ttl_seconds AS "defaultTtlSeconds", max_ttl_seconds AS "maxTtlSeconds"
  FROM namespace WHERE workspace_id = $1 AND name = $2`;

/** After the grant check: a namespace the workspace does not have is 404 (API.md). */
export async function resolveNamespace(sql: Sql, workspaceId: string, name: string): Promise<NamespacePolicy> {
  const [namespace] = await sql.query<NamespacePolicy>(RESOLVE, [workspaceId, name]);
  if (!namespace) throw namespaceNotFound(name);
  return namespace;
}

export function namespaceNotFound(name: string): AppError {
  return new AppError("not_found", `namespace "${name}" does not exist in this workspace`, { namespace: name });
}
