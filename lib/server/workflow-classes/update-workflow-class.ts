import "server-only";
import { AppError } from "@/lib/core/errors";
import type { RetryPolicyInput } from "@/lib/validations/identity";
import { writeAudit, type Actor } from "../audit";
import { getDb } from "../db";

export async function updateWorkflowClass(
  input: RetryPolicyInput & { workspaceId: string; actor: Actor; classId: string; reason?: string },
) {
  const { workspaceId, actor, classId, reason, ...policy } = input;
  return getDb().$transaction(async (tx) => {
    const before = await tx.workflowClass.findFirst({ where: { id: classId, workspaceId } });
    if (!before) throw new AppError("not_found", "No such workflow class in this workspace.");
    const after = await tx.workflowClass.update({ where: { id: before.id }, data: policy });
    const pick = (c: typeof before) => ({
      maxAttempts: c.maxAttempts,
      initialIntervalMs: c.initialIntervalMs,
      backoffCoefficient: c.backoffCoefficient,
      maxIntervalMs: c.maxIntervalMs,
      nonRetryableErrors: c.nonRetryableErrors,
      heartbeatTimeoutSeconds: c.heartbeatTimeoutSeconds,
    });
    await writeAudit(tx, {
      workspaceId,
      actor,
      action: "workflow_class.updated",
      target: before.name,
      reason,
      details: { before: pick(before), after: pick(after) },
    });
    return after;
  });
}
