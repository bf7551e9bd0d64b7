import "server-only";
import pino from "pino";
import { scrubSecrets, secretLogPaths } from "@/lib/core/log-redaction";
import { env } from "@/lib/env";

type Sink = { write: (line: string) => unknown };

/** Where lines go: stdout, or a test's buffer (captureLogs). */
let sink: Sink = pino.destination({ dest: 1, sync: true });

/**
 * Structured JSON logs on stdout, one object per line with an ISO time and a
 * level name. Secrets are removed twice: by field path (`redact`:
 * authorization headers, passwords, keys, tokens at any of three depths), and
 * from the finished line, where anything shaped like an agent key or a bearer
 * token is cut (lib/core/log-redaction.ts) — so a key inside an error message
 * cannot leak either.
 */
export const logger = pino(
  {
    level: env().LOG_LEVEL,
    base: { service: "basekv" },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    redact: { paths: secretLogPaths(), censor: "[redacted]" },
  },
  { write: (line: string) => sink.write(scrubSecrets(line)) },
);

export type Logger = pino.Logger;

/**
 * The logger of one agent request: every line it writes carries the request
 * id and the correlation id, so one request (or one workflow across calls)
 * can be followed through the logs.
 */
export function requestLogger(requestId: string, correlationId: string): Logger {
  return logger.child({ requestId, correlationId });
}

/** Tests: collect the lines written from now on (already redacted), until restore(). */
export function captureLogs(): { lines: string[]; text: () => string; restore: () => void } {
  const previous = sink;
  const lines: string[] = [];
  sink = { write: (line: string) => lines.push(line) };
  return {
    lines,
    text: () => lines.join(""),
    restore: () => {
      sink = previous;
    },
  };
}
