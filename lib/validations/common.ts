import { z } from "zod";
import { ROLES } from "@/lib/core/roles";

export const emailSchema = z
  .string()
  .trim()
  .toLowerCase()
  .pipe(z.email({ message: "Enter a valid email address." }).max(254));

export const passwordSchema = z.string().min(12, "Use at least 12 characters.").max(200, "Use at most 200 characters.");

export const roleSchema = z.enum(ROLES, { message: "Choose a role: admin, operator, auditor or viewer." });

export const workspaceSlugSchema = z
  .string()
  .trim()
  .regex(
    /^[a-z0-9][a-z0-9-]{0,62}$/,
    "Use 1–63 lowercase letters, digits and dashes, starting with a letter or digit.",
  );

export const reasonSchema = z
  .string()
  .trim()
  .min(3, "Say why, in a few words (it goes into the audit trail).")
  .max(500, "Keep the reason under 500 characters.");

/** IANA time zone names, checked against the runtime's own list. */
export const timeZoneSchema = z.string().refine((tz) => {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}, "Unknown time zone (use an IANA name such as UTC or Europe/Paris).");

/**
 * Any JSON value. One shared instance, so the OpenAPI document names it once
 * (`#/components/schemas/JsonValue`) instead of inlining a recursive schema.
 */
export const jsonValueSchema = z.json();
