import { z } from "zod";
import { SIGN_IN_ATTEMPTS_PER_ADDRESS } from "@/lib/core/address-limit";
import { parseTrustedProxies } from "@/lib/core/client-address";

/**
 * The one place that reads process.env. Values are validated on first use, not
 * at import, so that `next build` (which imports route modules) needs none of
 * them; the start script (scripts/start.ts) provides them at run time.
 */
const schema = z.object({
  NODE_ENV: z.enum(["development", "production", "test"]).default("development"),
  DATABASE_URL: z.string().url().optional(),
  DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(200).default(10),
  AUTH_SECRET: z.string().min(32).optional(),
  PORT: z.coerce.number().int().min(1).max(65535).default(3000),
  ADMIN_EMAIL: z.string().email().optional(),
  ADMIN_PASSWORD: z.string().min(8).optional(),
  LOG_LEVEL: z.enum(["debug", "info", "warn", "error"]).default("info"),
  /** Where people reach the dashboard; used for links in notifications. Default http://localhost:PORT. */
  BASEKV_PUBLIC_URL: z.string().url().optional(),
  /** Bearer token for GET /api/metrics; unset = the endpoint answers 404. */
  METRICS_TOKEN: z.string().min(1).optional(),
  /**
   * The proxies in front of the app whose `X-Forwarded-For` entries are believed (addresses or CIDR
   * ranges, comma-separated; lib/core/client-address.ts). Unset: trust none, the client is the TCP peer.
   */
  TRUSTED_PROXIES: z
    .string()
    .optional()
    .transform((raw, ctx) => {
      const parsed = parseTrustedProxies(raw);
      if (parsed.ok) return parsed.proxies;
      ctx.addIssue({ code: "custom", message: `not an address or CIDR range: ${parsed.invalid.join(", ")}` });
      return z.NEVER;
    }),
  /**
   * Sign-in attempts allowed per client address (IPv6: per /64) per minute, counted before any
   * password is hashed (lib/core/address-limit.ts). Raise it when many people sign in from behind one
   * address (an office's NAT); every attempt it lets through costs a bcrypt hash.
   */
  SIGN_IN_ATTEMPTS_PER_MINUTE: z.coerce.number().int().min(1).max(10_000).default(SIGN_IN_ATTEMPTS_PER_ADDRESS),
});

export type Env = z.infer<typeof schema>;

let cached: Env | undefined;

export function env(): Env {
  if (cached) return cached;
  const parsed = schema.safeParse(process.env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ");
    throw new Error(`Invalid environment: ${problems}`);
  }
  cached = parsed.data;
  return cached;
}

export function requireDatabaseUrl(): string {
  const url = env().DATABASE_URL;
  if (!url) throw new Error("DATABASE_URL is not set (npm start sets it; see README).");
  return url;
}

export function publicUrl(): string {
  return (env().BASEKV_PUBLIC_URL ?? `http://localhost:${env().PORT}`).replace(/\/$/, "");
}
