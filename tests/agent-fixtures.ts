import type { Grant } from "@/lib/core/grants";
import { issueCredential } from "@/lib/server/credentials/issue-credential";
import { createIdentity } from "@/lib/server/identities/create-identity";
import { createNamespace } from "@/lib/server/namespaces/create-namespace";
import { createWorkflowClass } from "@/lib/server/workflow-classes/create-workflow-class";
import { getDb } from "@/lib/server/db";
import { createTask } from "@/lib/server/tasks/create-task";
import { recordTaskEvent } from "@/lib/server/tasks/record-task-event";
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

/** Runs a task of `agent` through the real services until it is dead-lettered (a non-retryable failure); returns it with its open escalation. */
export async function deadLetterTask(agent: Awaited<ReturnType<typeof seedAgent>>, now: Date = new Date()) {
  const actor = { type: "identity" as const, id: agent.identity.id, name: agent.identity.name };
  const db = getDb();
  const taskId = await db.$transaction(async (tx) => {
    const task = await createTask(tx, {
      workspaceId: agent.workspace.id,
      workflowClass: agent.workflowClass,
      namespace: "billing.runs",
      taskInput: { n: 1 },
      correlationId: `dl-${agent.workspace.slug}`,
      actor,
      reason: null,
      requestId: null,
      now,
    });
    for (const event of [
      { type: "started" as const },
      { type: "step_failed" as const, error: { type: "validation", message: "bad data", retryable: false } },
    ]) {
      await recordTaskEvent(tx, { taskId: task.id, workspaceId: agent.workspace.id, event, actor, now });
    }
    return task.id;
  });
  const escalation = await db.escalation.findFirstOrThrow({ where: { taskId } });
  return { taskId, escalation, actor };
}
