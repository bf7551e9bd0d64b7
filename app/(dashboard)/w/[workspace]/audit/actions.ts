"use server";

import { z } from "zod";
import { workspaceAction } from "@/lib/server/action";
import { writeAudit } from "@/lib/server/audit";
import { verifyWorkspaceChain, type VerifyResult } from "@/lib/server/audit-trail/verify-chain";
import { getDb } from "@/lib/server/db";
import { workspaceSlugSchema } from "@/lib/validations/common";

/**
 * "Verify integrity": seals what is committed, checks every signed checkpoint
 * and walks the workspace's chain from the last verified one (incremental:
 * time in proportion to new events), reporting ok with the count, or the
 * first position that does not verify. Who verified, when, and what they saw
 * is itself recorded.
 */
export const verifyAuditChainAction = workspaceAction(
  { name: "audit.verify", schema: z.object({ workspace: workspaceSlugSchema }), permission: "audit.verify" },
  async (_input, ctx) => {
    const result: VerifyResult = await verifyWorkspaceChain(ctx.workspace.id, { incremental: true });
    await writeAudit(getDb(), {
      workspaceId: ctx.workspace.id,
      actor: ctx.actor,
      action: "audit.verified",
      details: { ...result },
    });
    const pending = result.pending ? ` (${result.pending} events still being written are not sealed yet)` : "";
    const covered = result.checkpoint
      ? ` Signed checkpoint #${result.checkpoint.seq} (key ${result.checkpoint.keyId}) covers everything up to it; ${
          result.unanchoredTail
        } newer event(s) await the next checkpoint.`
      : " No signed checkpoint covers this chain yet.";
    return {
      message: result.ok
        ? `Integrity verified: ${result.events} events, chain intact${pending}.${covered}`
        : `Integrity check failed at ${
            result.firstBadEvent.id ? `event ${result.firstBadEvent.id}` : "the chain"
          }${result.firstBadEvent.seq ? ` (#${result.firstBadEvent.seq} in the chain)` : ""}: ${result.firstBadEvent.problem.replaceAll(
            "_",
            " ",
          )}. ${result.events} events before it verify.`,
      data: result,
    };
  },
);
