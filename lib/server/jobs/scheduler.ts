import "server-only";
import { logger } from "../logger";
import { recordJobFailure, recordJobSuccess } from "../metrics";
import { deliverDueWebhooks, notifyOverdueEscalations } from "./deliver-webhooks";
import { runActionDeadlines } from "./action-deadlines";
import { failSilentTasks } from "./heartbeat-timeouts";
import { makeCheckpoints } from "../audit-trail/checkpoint";
import { sealPendingEvents } from "../audit-trail/seal-events";
import { sweepExpired } from "./sweep-expired";

const SWEEP_INTERVAL_MS = 30_000;
const HEARTBEAT_CHECK_MS = 5_000;
const ACTION_DEADLINE_CHECK_MS = 2_000;
const WEBHOOK_INTERVAL_MS = 2_000;
const AUDIT_SEAL_INTERVAL_MS = 1_000;

/** Records each run's outcome for /api/metrics (last success per job, so lag can be alerted on). */
function track<T>(job: string, run: Promise<T>): Promise<T> {
  return run.then(
    (result) => {
      recordJobSuccess(job);
      return result;
    },
    (error: unknown) => {
      recordJobFailure(job);
      throw error;
    },
  );
}

/**
 * Background jobs of one app instance. Every instance runs them; each job
 * takes a PostgreSQL advisory lock so that only one instance does the work at
 * a time — except webhook delivery, which claims each delivery with a lease
 * instead (its HTTP calls run outside any transaction, so no transaction-level
 * lock can span them), so instances and overlapping runs send different ones.
 */
export function startBackgroundJobs(): () => void {
  const timer = setInterval(() => {
    track("ttl-sweeper", sweepExpired())
      .then((r) => {
        if (r.kvEntries || r.idempotencyRecords) logger.info({ job: "ttl-sweeper", ...r }, "purged expired rows");
      })
      .catch((error: unknown) => logger.warn({ err: error, job: "ttl-sweeper" }, "sweep failed; will retry"));
  }, SWEEP_INTERVAL_MS);
  timer.unref();
  const heartbeats = setInterval(() => {
    track("heartbeat-monitor", failSilentTasks())
      .then((r) => {
        if (r.failed.length) logger.info({ job: "heartbeat-monitor", tasks: r.failed }, "failed silent tasks");
      })
      .catch((error: unknown) =>
        logger.warn({ err: error, job: "heartbeat-monitor" }, "heartbeat check failed; will retry"),
      );
  }, HEARTBEAT_CHECK_MS);
  heartbeats.unref();
  const deadlines = setInterval(() => {
    track("action-deadlines", runActionDeadlines())
      .then((r) => {
        if (r.expired.length || r.timedOut.length)
          logger.info(
            { job: "action-deadlines", expired: r.expired, timedOut: r.timedOut },
            "actions past their deadline",
          );
      })
      .catch((error: unknown) =>
        logger.warn({ err: error, job: "action-deadlines" }, "action deadline check failed; will retry"),
      );
  }, ACTION_DEADLINE_CHECK_MS);
  deadlines.unref();
  const notifications = setInterval(() => {
    track(
      "webhooks",
      notifyOverdueEscalations().then(() => deliverDueWebhooks()),
    ).catch((error: unknown) => logger.warn({ err: error, job: "webhooks" }, "webhook delivery failed; will retry"));
  }, WEBHOOK_INTERVAL_MS);
  notifications.unref();
  // The audit chainer: seals committed events into their workspace's hash chain shortly after commit,
  // then signs and anchors the chains' heads that are due (checkpoint.ts).
  const sealing = setInterval(() => {
    track("audit-chainer", sealPendingEvents())
      .then(() => track("audit-checkpointer", makeCheckpoints()))
      .catch((error: unknown) =>
        logger.warn({ err: error, job: "audit-chainer" }, "audit sealing or checkpointing failed; will retry"),
      );
  }, AUDIT_SEAL_INTERVAL_MS);
  sealing.unref();
  return () => {
    clearInterval(sealing);
    clearInterval(timer);
    clearInterval(heartbeats);
    clearInterval(deadlines);
    clearInterval(notifications);
  };
}
