/**
 * Namespace grants: which namespaces an identity may read or write.
 *
 * Names are lowercase dot-separated segments (`billing.invoices`). A grant
 * pattern is a name, `prefix.*` (everything strictly below `prefix`: not
 * `prefix` itself, not `prefixx`), or `*` (everything).
 */
export const ACCESS_LEVELS = ["read", "write", "readwrite"] as const;
export type AccessLevel = (typeof ACCESS_LEVELS)[number];
export type Operation = "read" | "write";
export type Grant = { pattern: string; access: AccessLevel };

const SEGMENT = "[a-z0-9][a-z0-9_-]*";
export const NAMESPACE_NAME = new RegExp(`^${SEGMENT}(?:\\.${SEGMENT})*$`);
const PREFIX_PATTERN = new RegExp(`^(${SEGMENT}(?:\\.${SEGMENT})*)\\.\\*$`);

export function isNamespaceName(name: string): boolean {
  return name.length >= 1 && name.length <= 128 && NAMESPACE_NAME.test(name);
}

export type PatternCheck = { valid: true } | { valid: false; message: string };

export function checkGrantPattern(pattern: string): PatternCheck {
  if (pattern === "*") return { valid: true };
  if (pattern.length === 0) return { valid: false, message: "Enter a namespace, a prefix ending in .*, or *." };
  if (pattern.length > 130) return { valid: false, message: "Patterns are at most 128 characters plus .*" };
  if (pattern.includes("*") && !PREFIX_PATTERN.test(pattern)) {
    return {
      valid: false,
      message: "A wildcard may only end the pattern, after a dot (billing.*), or stand alone (*).",
    };
  }
  const name = pattern.endsWith(".*") ? pattern.slice(0, -2) : pattern;
  if (!isNamespaceName(name)) {
    return {
      valid: false,
      message: "Use lowercase segments of letters, digits, - and _, separated by dots (billing.invoices).",
    };
  }
  return { valid: true };
}

export function patternMatches(pattern: string, namespace: string): boolean {
  if (pattern === "*") return true;
  if (pattern.endsWith(".*")) {
    const prefix = pattern.slice(0, -1); // keep the dot: "billing." matches "billing.x", not "billing" or "billingx"
    return namespace.startsWith(prefix) && namespace.length > prefix.length;
  }
  return pattern === namespace;
}

export function accessAllows(access: AccessLevel, operation: Operation): boolean {
  return access === "readwrite" || access === operation;
}

export type GrantDecision =
  { allowed: true; grant: Grant } | { allowed: false; reason: string; nearMiss: Grant | null };

/**
 * The one authority for "may this identity <operation> namespace X?", used by
 * the agent API — its one-statement PUT included, which is given this decision
 * (lib/server/agent-api/kv-handlers.ts `putKvExpress`) — and by the dashboard's
 * policy simulator alike.
 */
export function decideAccess(grants: readonly Grant[], namespace: string, operation: Operation): GrantDecision {
  if (!isNamespaceName(namespace)) {
    return { allowed: false, reason: `"${namespace}" is not a valid namespace name.`, nearMiss: null };
  }
  const matching = grants.filter((g) => patternMatches(g.pattern, namespace));
  // Most specific first, so the answer names the grant a person would expect.
  matching.sort((a, b) => specificity(b.pattern) - specificity(a.pattern));
  const allowing = matching.find((g) => accessAllows(g.access, operation));
  if (allowing) return { allowed: true, grant: allowing };
  if (matching[0]) {
    return {
      allowed: false,
      reason: `Grant "${matching[0].pattern}" gives ${matching[0].access} access only; ${operation} is not included.`,
      nearMiss: matching[0],
    };
  }
  return { allowed: false, reason: `No grant matches namespace "${namespace}".`, nearMiss: null };
}

function specificity(pattern: string): number {
  if (pattern === "*") return 0;
  return pattern.endsWith(".*") ? pattern.length : pattern.length + 1000;
}
