import type { z } from "zod";
import type { Grant } from "@/lib/core/grants";
import { createRule } from "@/lib/server/actions/rules";
import { requestAction } from "@/lib/server/actions/request-action";
import { ruleInputSchema, type RequestActionBody } from "@/lib/validations/actions";
import { issueCredential } from "@/lib/server/credentials/issue-credential";
import { createIdentity } from "@/lib/server/identities/create-identity";
import { createNamespace } from "@/lib/server/namespaces/create-namespace";
import { createWorkflowClass } from "@/lib/server/workflow-classes/create-workflow-class";
import { getDb } from "@/lib/server/db";
import { hashKey } from "@/lib/core/keys";
import { loadPrincipal } from "@/lib/server/agent-api/authenticate";
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

type Agent = Awaited<ReturnType<typeof seedAgent>>;

/** A rule in `agent`'s workspace, through the real service (parsed like a form or the CLI would). */
export async function seedRule(
  agent: Agent,
  rule: Partial<RuleFormInput> & { name: string; action: string; effect: RuleFormInput["effect"] },
  position?: number,
) {
  return createRule({
    workspaceId: agent.workspace.id,
    actor: testActor,
    rule: ruleInputSchema.parse(rule),
    position,
  });
}
type RuleFormInput = z.input<typeof ruleInputSchema>;

/** `agent` asks for an action through the real service (as POST /actions would); returns the stored action. */
export async function requestTestAction(
  agent: Agent,
  body: RequestActionBody = { action: "payments.refund", arguments: { order: 123, amount: 40 }, estimate: { usd: 12 } },
  now: Date = new Date(),
  priority: "low" | "normal" = "normal",
) {
  const principal = (await loadPrincipal(hashKey(agent.key), now))!;
  return getDb().$transaction((tx) =>
    requestAction(tx, {
      requester: {
        workspaceId: agent.workspace.id,
        identityId: agent.identity.id,
        identityName: agent.identity.name,
        credentialId: agent.credential.id,
        workflowClass: { id: agent.workflowClass.id, name: "invoices" },
        grants: [{ pattern: "billing.*", access: "readwrite" }],
      },
      body,
      correlationId: `act-${agent.workspace.slug}`,
      requestId: "req_fixture",
      reason: null,
      now,
      spend: { principal, priority },
    }),
  );
}

/** A pending action in `agent`'s workspace (a require_approval rule for `payments.*` is added first if none exists). */
export async function pendingAction(agent: Agent, requiredApprovals: 1 | 2 = 1) {
  const name = `approve-payments-${requiredApprovals}`;
  const exists = await getDb().actionRule.findFirst({ where: { workspaceId: agent.workspace.id, name } });
  if (!exists) await seedRule(agent, { name, action: "payments.*", effect: "require_approval", requiredApprovals }, 1);
  return requestTestAction(agent);
}

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
type Route = (r: Request, c: { params: Promise<Record<string, string>> }) => Promise<Response>;

/** Calls an agent route handler as Next.js would, with `key`; the answer's status, headers and parsed JSON body. */
export async function callRoute(
  route: Route,
  method: string,
  path: string,
  key: string,
  body?: unknown,
  headers: Record<string, string> = {},
  params: Record<string, string> = {},
) {
  const response = await route(
    agentRequest(path, key, {
      method,
      headers,
      ...(body === undefined ? {} : { body: typeof body === "string" ? body : JSON.stringify(body) }),
    }),
    { params: Promise.resolve(params) },
  );
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: (text ? JSON.parse(text) : null) as Json };
}
