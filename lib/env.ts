import { z } from "zod";
import { parseAllowedHosts, type DestinationPolicy } from "@/lib/core/webhooks";
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
  /** Local state (embedded database, generated secrets, the first-run login, the audit anchor file); npm start sets it. Default `.data`. */
  BASEKV_DATA_DIR: z.string().min(1).optional(),
  /** Bearer token for GET /api/metrics; unset = the endpoint answers 404. */
  METRICS_TOKEN: z.string().min(1).optional(),
  /** The owner's connection for migrations; DATABASE_URL is then the app's unprivileged role (issue #18). */
  DATABASE_MIGRATION_URL: z.string().url().optional(),
  /** Ed25519 private key (PKCS#8 DER, base64url) that signs audit checkpoints; npm start keeps one in .data/. */
  AUDIT_SIGNING_KEY: z.string().min(40).optional(),
  /** Append-only file every checkpoint is written to (default <data dir>/audit-anchors.ndjson). */
  AUDIT_ANCHOR_FILE: z.string().min(1).optional(),
  /** Optional second anchor: each checkpoint is POSTed here, signed like the escalation webhooks. */
  AUDIT_ANCHOR_WEBHOOK_URL: z.string().url().optional(),
  AUDIT_ANCHOR_WEBHOOK_SECRET: z.string().min(16).optional(),
  /** A chain with unanchored events gets a checkpoint at most this long after its first one … */
  AUDIT_CHECKPOINT_INTERVAL_SECONDS: z.coerce.number().int().min(1).max(86_400).default(60),
  /** … or as soon as this many events are unanchored. */
  AUDIT_CHECKPOINT_EVENTS: z.coerce.number().int().min(1).max(10_000_000).default(1000),
  /** Public keys (base64url, comma-separated) a verify pins; default: the current signing key. */
  AUDIT_TRUSTED_KEYS: z.string().min(1).optional(),
  /**
   * Webhooks go to public addresses only (SSRF). `true` lets them reach loopback and private
   * networks too — for receivers inside the operator's network, and the test suites' local ones.
   */
  WEBHOOK_ALLOW_PRIVATE_NETWORKS: z
    .enum(["true", "false"], { error: "use true or false" })
    .default("false")
    .transform((v) => v === "true"),
  /** Comma list of `host` / `host:port` that webhooks may reach even on a private address. */
  WEBHOOK_ALLOWED_HOSTS: z
    .string()
    .default("")
    .transform((list, ctx) => {
      try {
        return parseAllowedHosts(list);
      } catch (error) {
        ctx.addIssue({ code: "custom", message: (error as Error).message });
        return z.NEVER;
      }
    }),
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
  /** Set (to anything, e.g. `1`): the admin CLI also prints an internal error's details on stderr. */
  BASEKV_CLI_DEBUG: z
    .string()
    .optional()
    .transform((v) => Boolean(v)),
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

/**
 * The admin CLI's debug switch, read on its own rather than through env(): the CLI asks for it while
 * reporting an error, and that error may be an invalid environment (which makes env() throw).
 */
export function cliDebug(): boolean {
  return schema.shape.BASEKV_CLI_DEBUG.parse(process.env.BASEKV_CLI_DEBUG);
}

export function publicUrl(): string {
  return (env().BASEKV_PUBLIC_URL ?? `http://localhost:${env().PORT}`).replace(/\/$/, "");
}

export function webhookDestinationPolicy(): DestinationPolicy {
  return { allowPrivateNetworks: env().WEBHOOK_ALLOW_PRIVATE_NETWORKS, allowedHosts: env().WEBHOOK_ALLOWED_HOSTS };
}
