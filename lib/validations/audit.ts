import { z } from "zod";

export const ACTOR_TYPES = ["user", "identity", "cli", "system"] as const;
export const AUDIT_OUTCOMES = ["success", "denied", "conflict", "error"] as const;

const text = (max: number) =>
  z
    .string()
    .trim()
    .max(max)
    .transform((v) => v || undefined)
    .optional();

/** `2026-11-25` (that day's start, or its end for `to`) or a full ISO-8601 instant. */
const instant = (endOfDay: boolean) =>
  z
    .string()
    .trim()
    .transform((v, ctx) => {
      if (!v) return undefined;
      const day = /^\d{4}-\d{2}-\d{2}$/.test(v);
      const at = new Date(day ? `${v}T${endOfDay ? "23:59:59.999" : "00:00:00.000"}Z` : v);
      if (Number.isNaN(at.getTime())) {
        ctx.addIssue({ code: "custom", message: "Use a date (2026-11-25) or an ISO-8601 time." });
        return z.NEVER;
      }
      return at;
    })
    .optional();

/**
 * The audit search filters, as they travel in the dashboard's URL, the
 * export route's query string and the CLI's flags. Unknown fields are ignored.
 */
export const auditFilterSchema = z.object({
  /** the actor's name as recorded: an email, an identity name, `cli:user@host`, a job */
  actor: text(320),
  actorType: z
    .enum(ACTOR_TYPES)
    .optional()
    .or(z.literal("").transform(() => undefined)),
  /** exact, or a prefix when it ends with `*` (`kv.*`) */
  action: text(100),
  namespace: text(200),
  /** the target key (KV key, task id, identity name, credential id…) */
  target: text(2048),
  correlation: text(128),
  outcome: z
    .enum(AUDIT_OUTCOMES)
    .optional()
    .or(z.literal("").transform(() => undefined)),
  from: instant(false),
  to: instant(true),
  /** free text in the reason */
  q: text(200),
});

export type AuditFilter = z.output<typeof auditFilterSchema>;

/** The filter back as URL parameters (for links, pagination and the export button). */
export function auditFilterParams(filter: AuditFilter): URLSearchParams {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(filter)) {
    if (value === undefined) continue;
    params.set(key, value instanceof Date ? value.toISOString() : String(value));
  }
  return params;
}
