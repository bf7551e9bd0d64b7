import "server-only";
import { systemActor } from "../audit";
import { getDb } from "../db";
import { applyActionEvent, lockAction } from "../actions/change-action";
import { queueApprovalNotice } from "../actions/notify";
import { wakeActionWaiters } from "../actions/waiters";
import { writeAudit } from "../audit";

const DEADLINES_LOCK_KEY = 72707373;
const BATCH = 100;
const actor = systemActor("action-deadlines");

/**
 * The actions' clocks (API.md "Statuses"), one instance at a time (advisory lock, transaction-
 * scoped so it works behind a pooler):
 * - a pending approval past its deadline → `expired` (reservation released, `approval.expired` sent);
 * - an allowed action not completed in time → `timed_out` (settled at the estimate);
 * - a request still pending at half its approval timeout → re-sent to the class's second tier, once.
 * Each change is decided by lib/core/actions.ts and audited with the system as actor. Rows an
 * agent or approver holds are skipped, not waited on. `workspaceId` limits a run (tests share a database).
 */
export async function runActionDeadlines(
  options: { now?: Date; workspaceId?: string } = {},
): Promise<{ ran: boolean; expired: string[]; timedOut: string[]; secondTier: string[] }> {
  const now = options.now ?? new Date();
  const ws = options.workspaceId ?? null;
  const result = await getDb().$transaction(
    async (tx) => {
      const lock = await tx.$queryRaw<
        { locked: boolean }[]
      >`SELECT pg_try_advisory_xact_lock(${DEADLINES_LOCK_KEY}) AS locked`;
      if (!lock[0]?.locked) return { ran: false, expired: [], timedOut: [], secondTier: [] };
      const due = await tx.$queryRaw<{ id: string; workspace_id: string; status: string }[]>`
        SELECT id, workspace_id, status::text FROM action
        WHERE status IN ('pending_approval', 'allowed') AND expires_at <= ${now}
          AND (${ws}::text IS NULL OR workspace_id = ${ws})
        ORDER BY expires_at
        LIMIT ${BATCH}
        FOR UPDATE SKIP LOCKED`;
      const expired: string[] = [];
      const timedOut: string[] = [];
      for (const row of due) {
        const action = await lockAction(tx, row.id, { workspaceId: row.workspace_id });
        if (action.status === "pending_approval") {
          await applyActionEvent({
            tx,
            action,
            event: { type: "approval_deadline" },
            actor,
            now,
            reason: "no decision within the approval timeout",
          });
          await queueApprovalNotice(tx, {
            actionId: action.id,
            workflowClassId: action.workflowClassId,
            event: "approval.expired",
            now,
          });
          expired.push(action.id);
        } else {
          await applyActionEvent({
            tx,
            action,
            event: { type: "completion_deadline" },
            actor,
            now,
            reason: "not completed within the completion timeout: settled at the estimate",
            data: { actualMicros: action.estimateMicros, actualTokens: action.estimateTokens, completedAt: now },
          });
          timedOut.push(action.id);
        }
      }

      // Half the approval timeout gone and nobody has decided: the second tier hears of it, once.
      const halfway = await tx.$queryRaw<{ id: string; workspace_id: string; workflow_class_id: string }[]>`
        SELECT id, workspace_id, workflow_class_id FROM action
        WHERE status = 'pending_approval' AND second_tier_notified_at IS NULL
          AND expires_at - make_interval(secs => approval_timeout_seconds / 2.0) <= ${now}
          AND (${ws}::text IS NULL OR workspace_id = ${ws})
        LIMIT ${BATCH}
        FOR UPDATE SKIP LOCKED`;
      for (const a of halfway) {
        await tx.action.update({ where: { id: a.id }, data: { secondTierNotifiedAt: now } });
        const sent = await queueApprovalNotice(tx, {
          actionId: a.id,
          workflowClassId: a.workflow_class_id,
          event: "approval.requested",
          tier: 2,
          now,
        });
        await writeAudit(tx, {
          workspaceId: a.workspace_id,
          actor,
          action: "action.approval_overdue",
          target: a.id,
          reason: "still pending at half its approval timeout",
          details: { secondTierNotification: sent },
        });
      }
      return { ran: true, expired, timedOut, secondTier: halfway.map((a) => a.id) };
    },
    { maxWait: 10_000, timeout: 60_000 },
  );
  for (const id of result.expired) wakeActionWaiters(id);
  return result;
}
