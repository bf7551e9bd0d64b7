import "server-only";
import { rulesForClass } from "@/lib/core/action-rules";
import type { PolicyResponse } from "@/lib/validations/agent-api";
import { loadRules, ruleJson } from "../actions/rules";
import { readSpendStanding, spendStandingJson } from "../budgets/spend";
import { prismaSql } from "../db";
import type { AgentContext, AgentResult } from "./agent-route";

/** GET /api/v1/policy — what this key may do now (API.md). */
export async function getPolicy(ctx: AgentContext<"prisma">): Promise<AgentResult> {
  const { principal: p, usage } = ctx;
  const c = p.workflowClass;
  const { rules, defaultEffect } = await loadRules(ctx.db.tx, p.workspace.id);
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
        spend: spendStandingJson(await readSpendStanding(prismaSql(ctx.db.tx), p, ctx.now)),
      },
      retryPolicy: {
        maxAttempts: c.maxAttempts,
        initialIntervalMs: c.initialIntervalMs,
        backoffCoefficient: c.backoffCoefficient,
        maxIntervalMs: c.maxIntervalMs,
        nonRetryableErrors: c.nonRetryableErrors,
      },
      credential: { id: p.credential.id, expiresAt: p.credential.expiresAt.toISOString() },
      actions: {
        defaultEffect,
        rules: rulesForClass(rules, c.name).map((rule) => {
          const r = ruleJson(rule);
          return {
            name: r.name,
            action: r.action,
            effect: r.effect,
            minEstimateUsd: r.minEstimateUsd,
            maxEstimateUsd: r.maxEstimateUsd,
            requiredApprovals: r.requiredApprovals,
          };
        }),
      },
    } satisfies PolicyResponse,
  };
}
