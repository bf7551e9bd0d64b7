import type { Grant } from "@/lib/core/grants";
import { issueCredential } from "@/lib/server/credentials/issue-credential";
import { createIdentity } from "@/lib/server/identities/create-identity";
import { createNamespace } from "@/lib/server/namespaces/create-namespace";
import { createWorkflowClass } from "@/lib/server/workflow-classes/create-workflow-class";
import { seedWorkspace, testActor } from "./fixtures";

/** A workspace with a class, an identity with `grants`, and a live key for it. */
export async function seedAgent(
  grants: Grant[] = [{ pattern: "billing.*", access: "readwrite" }],
  options: { namespaces?: string[] } = {},
) {
  const seeded = await seedWorkspace(["admin", "viewer"]);
  const workspaceId = seeded.workspace.id;
  for (const name of options.namespaces ?? ["billing.runs"]) {
    await createNamespace({ workspaceId, actor: testActor, name, defaultTtlSeconds: null, maxTtlSeconds: null });
  }
  const workflowClass = await createWorkflowClass({
    workspaceId,
    actor: testActor,
    name: "invoices",
    maxAttempts: 3,
    initialIntervalMs: 1000,
    backoffCoefficient: 2,
    maxIntervalMs: 60000,
    nonRetryableErrors: ["validation"],
    heartbeatTimeoutSeconds: 300,
  });
  const identity = await createIdentity({
    workspaceId,
    actor: testActor,
    name: "invoice-bot",
    workflowClass: "invoices",
    grants,
  });
  const credential = await issueCredential({
    workspaceId,
    actor: testActor,
    identityId: identity.id,
    expiresInSeconds: 3600,
  });
  return { ...seeded, workflowClass, identity, credential, key: credential.key };
}

export function agentRequest(
  path: string,
  key: string | null,
  init: RequestInit & { headers?: Record<string, string> } = {},
) {
  return new Request(`http://localhost${path}`, {
    ...init,
    headers: { ...(key ? { Authorization: `Bearer ${key}` } : {}), ...init.headers },
  });
}
