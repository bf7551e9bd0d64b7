import "server-only";
import { poolSql } from "../db";

/**
 * Long-polls on actions (`GET /actions/{id}?wait=N`) without holding a database connection while
 * they wait: one process-wide poller asks, a few times a second and only while someone waits,
 * which of the waited-on actions are no longer pending — one short query for all waiters, however
 * many (500 waiting agents cost one pool slot for a millisecond, not 500 slots). A decision made
 * in this process wakes its waiters at once (`wakeActionWaiters`); one made by another instance is
 * seen at the next poll. Works behind a transaction pooler (no LISTEN, no session state).
 */
const POLL_MS = 250;

type Waiter = () => void;
const waiting = new Map<string, Set<Waiter>>();
let timer: NodeJS.Timeout | null = null;
let polling = false;

const SETTLED = `SELECT id FROM action WHERE id = ANY($1::text[]) AND status <> 'pending_approval'`;

async function poll(): Promise<void> {
  if (polling || waiting.size === 0) return;
  polling = true;
  try {
    const rows = await poolSql().query<{ id: string }>(SETTLED, [[...waiting.keys()]]);
    for (const row of rows) wakeActionWaiters(row.id);
  } catch {
    // A failed poll is retried at the next tick; each waiter still ends at its own deadline.
  } finally {
    polling = false;
    if (waiting.size === 0 && timer) {
      clearInterval(timer);
      timer = null;
    }
  }
}

/** Resolves when the action is no longer pending (as far as a poll or this process can tell), or after `ms`. */
export function waitForDecision(actionId: string, ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const set = waiting.get(actionId) ?? new Set<Waiter>();
    waiting.set(actionId, set);
    const done = () => {
      clearTimeout(deadline);
      set.delete(done);
      if (set.size === 0 && waiting.get(actionId) === set) waiting.delete(actionId);
      resolve();
    };
    const deadline = setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
    set.add(done);
    if (!timer) {
      timer = setInterval(() => void poll(), POLL_MS);
      timer.unref();
    }
  });
}

/** Wakes everyone waiting on this action (after a commit that moved it on). */
export function wakeActionWaiters(actionId: string): void {
  for (const waiter of [...(waiting.get(actionId) ?? [])]) waiter();
}

/** How many are waiting now (metrics, tests). */
export function actionWaiterCount(): number {
  let count = 0;
  for (const set of waiting.values()) count += set.size;
  return count;
}
