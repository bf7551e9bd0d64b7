import "server-only";
import pino from "pino";
import { env } from "@/lib/env";

/** Structured JSON logs on stdout; secrets are redacted by path. */
export const logger = pino({
  level: env().LOG_LEVEL,
  base: { service: "basekv" },
  redact: { paths: ["*.password", "*.authorization", "*.key", "req.headers.authorization"], censor: "[redacted]" },
});
