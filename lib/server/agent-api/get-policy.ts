import "server-only";
import type { PolicyResponse } from "@/lib/validations/agent-api";
import type { AgentContext, AgentResult } from "./agent-route";

/** GET /api/v1/policy — what this key may do now (API.md). */
export async function getPolicy(ctx: AgentContext): Promise<AgentResult> {
  const { principal: p, usage } = ctx;
  const c = p.workflowClass;
  return {
    body: {
      identity: { id: p.identity.id, name: p.identity.name, workflowClass: c.name },
      workspace: { id: p.workspace.id, slug: p.workspace.slug },
      grants: p.grants.map((g) => ({ namespace: g.pattern, access: g.access })),
      mode: usage.mode,
      message: usage.message,
      limits: {
        requests: { ...usage.requests, resetAt: usage.requests.resetAt.toISOString() },
        writes: { ...usage.writes, resetAt: usage.writes.resetAt.toISOString() },
      },
      retryPolicy: {
        maxAttempts: c.maxAttempts,
        initialIntervalMs: c.initialIntervalMs,
        backoffCoefficient: c.backoffCoefficient,
        maxIntervalMs: c.maxIntervalMs,
        nonRetryableErrors: c.nonRetryableErrors,
      },
      credential: { id: p.credential.id, expiresAt: p.credential.expiresAt.toISOString() },
    } satisfies PolicyResponse,
  };
}
