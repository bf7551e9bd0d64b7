import "server-only";
import { formatUsd } from "@/lib/core/money";
import { newId } from "@/lib/core/ids";
import type { RetryPolicyInput } from "@/lib/validations/identity";
import { writeAudit, type Actor } from "../audit";
import { getDb } from "../db";
import { rethrowUnique } from "../prisma-errors";

export async function createWorkflowClass(
  input: RetryPolicyInput & {
    workspaceId: string;
    actor: Actor;
    name: string;
    description?: string;
    /** The class's daily spend budget in micro-dollars (null: unlimited). */
    dailyUsdLimitMicros?: bigint | null;
  },
) {
  const { workspaceId, actor, name, description, dailyUsdLimitMicros, ...policy } = input;
  return getDb()
    .$transaction(async (tx) => {
      const workflowClass = await tx.workflowClass.create({
        data: {
          id: newId("wfc"),
          workspaceId,
          name,
          description: description ?? null,
          dailyUsdLimitMicros: dailyUsdLimitMicros ?? null,
          ...policy,
        },
      });
      await writeAudit(tx, {
        workspaceId,
        actor,
        action: "workflow_class.created",
        target: name,
        details: { ...policy, dailyUsd: dailyUsdLimitMicros == null ? null : formatUsd(dailyUsdLimitMicros) },
      });
      return workflowClass;
    })
    .catch((error: unknown) => rethrowUnique(error, `Workflow class "${name}" already exists in this workspace.`));
}
