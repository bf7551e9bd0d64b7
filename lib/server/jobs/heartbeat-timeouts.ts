import "server-only";
import { systemActor } from "../audit";
import { getDb } from "../db";
import { recordTaskEvent } from "../tasks/record-task-event";

const TIMEOUT_LOCK_KEY = 72707372;
const BATCH = 100;

/**
 * A running task whose agent went silent (no event or heartbeat within its
 * class's heartbeat timeout) is failed by the system as `timeout` — retried
 * or dead-lettered by the same rules as a reported failure. One instance at a
 * time (advisory lock); rows an agent is updating are skipped, not waited on.
 * A task with an action pending approval is not silent: it is waiting for people.
 */
export async function failSilentTasks(now: Date = new Date()): Promise<{ ran: boolean; failed: string[] }> {
  const db = getDb();
  return db.$transaction(
    async (tx) => {
      const lock = await tx.$queryRaw<
        { locked: boolean }[]
      >`SELECT pg_try_advisory_xact_lock(${TIMEOUT_LOCK_KEY}) AS locked`;
      if (!lock[0]?.locked) return { ran: false, failed: [] };
      const silent = await tx.$queryRaw<{ id: string; workspace_id: string }[]>`
        SELECT t.id, t.workspace_id FROM task t JOIN workflow_class c ON c.id = t.workflow_class_id
        WHERE t.status = 'running'
          AND t.heartbeat_at < ${now}::timestamptz - make_interval(secs => c.heartbeat_timeout_seconds)
          -- Suspended while the task waits for people to approve one of its actions (the clock restarts
          -- when they decide: lib/server/actions).
          AND NOT EXISTS (SELECT 1 FROM action a WHERE a.task_id = t.id AND a.status = 'pending_approval')
        ORDER BY t.heartbeat_at
        LIMIT ${BATCH}
        FOR UPDATE OF t SKIP LOCKED`;
      for (const task of silent) {
        await recordTaskEvent(tx, {
          taskId: task.id,
          workspaceId: task.workspace_id,
          event: { type: "timeout", reason: "no heartbeat within the heartbeat timeout" },
          actor: systemActor("heartbeat-monitor"),
          now,
        });
      }
      return { ran: true, failed: silent.map((t) => t.id) };
    },
    { maxWait: 10_000, timeout: 60_000 },
  );
}
