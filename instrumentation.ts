/** Runs once per server process: starts the background jobs and installs the agent API's lane and the server's edge checks (Node.js runtime only). */
export async function register() {
  if (process.env.NEXT_RUNTIME === "nodejs") {
    const { startBackgroundJobs } = await import("./lib/server/jobs/scheduler");
    startBackgroundJobs();
    const { logMetricsStatus } = await import("./lib/server/metrics");
    logMetricsStatus();
    const { installAgentLane } = await import("./lib/server/agent-api/agent-server");
    installAgentLane();
    const { installHttpEdge } = await import("./lib/server/http-edge");
    installHttpEdge();
  }
}
