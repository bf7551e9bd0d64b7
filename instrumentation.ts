/** Runs once per server process: starts the background jobs (Node.js runtime only). */
export async function register() {
  if (process.env.NEXT_RUNTIME === "nodejs") {
    const { startBackgroundJobs } = await import("./lib/server/jobs/scheduler");
    startBackgroundJobs();
    const { logMetricsStatus } = await import("./lib/server/metrics");
    logMetricsStatus();
  }
}
