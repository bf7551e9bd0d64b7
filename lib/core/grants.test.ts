import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  accessAllows,
  checkGrantPattern,
  decideAccess,
  isNamespaceName,
  patternMatches,
  type AccessLevel,
  type Grant,
} from "./grants";

describe("patternMatches", () => {
  const table: [pattern: string, namespace: string, matches: boolean][] = [
    ["billing.*", "billing.invoices", true],
    ["billing.*", "billing.a.b", true],
    ["billing.*", "billing", false],
    ["billing.*", "billingx", false],
    ["billing.*", "billingx.invoices", false],
    ["billing.*", "other.billing.x", false],
    ["billing.invoices", "billing.invoices", true],
    ["billing.invoices", "billing.invoices.2026", false],
    ["billing.invoices", "billing", false],
    ["billing.a.*", "billing.a.b", true],
    ["billing.a.*", "billing.ab", false],
    ["*", "billing", true],
    ["*", "a.b.c.d", true],
  ];
  it.each(table)("%s vs %s → %s", (pattern, namespace, expected) => {
    expect(patternMatches(pattern, namespace)).toBe(expected);
  });

  it("property: prefix.* matches exactly the names strictly below prefix", () => {
    const segment = fc.stringMatching(/^[a-z0-9][a-z0-9_-]{0,5}$/);
    const name = fc.array(segment, { minLength: 1, maxLength: 4 }).map((s) => s.join("."));
    fc.assert(
      fc.property(name, name, (prefix, namespace) => {
        const expected = namespace.startsWith(`${prefix}.`);
        expect(patternMatches(`${prefix}.*`, namespace)).toBe(expected);
        expect(patternMatches(prefix, namespace)).toBe(prefix === namespace);
        expect(patternMatches("*", namespace)).toBe(true);
      }),
    );
  });
});

describe("access levels compose", () => {
  const table: [AccessLevel, "read" | "write", boolean][] = [
    ["read", "read", true],
    ["read", "write", false],
    ["write", "write", true],
    ["write", "read", false],
    ["readwrite", "read", true],
    ["readwrite", "write", true],
  ];
  it.each(table)("%s allows %s: %s", (access, op, expected) => {
    expect(accessAllows(access, op)).toBe(expected);
  });
});

describe("decideAccess", () => {
  const grants: Grant[] = [
    { pattern: "billing.*", access: "readwrite" },
    { pattern: "shared.config", access: "read" },
    { pattern: "reports.*", access: "write" },
  ];

  it("names the grant that allows the call", () => {
    expect(decideAccess(grants, "billing.invoices", "write")).toEqual({ allowed: true, grant: grants[0] });
    expect(decideAccess(grants, "shared.config", "read")).toEqual({ allowed: true, grant: grants[1] });
  });

  it("explains a refusal by access level", () => {
    const decision = decideAccess(grants, "shared.config", "write");
    expect(decision).toMatchObject({ allowed: false, nearMiss: grants[1] });
    expect(!decision.allowed && decision.reason).toMatch(/read access only/);
  });

  it("explains a refusal for an ungranted namespace", () => {
    expect(decideAccess(grants, "billing", "read")).toMatchObject({
      allowed: false,
      nearMiss: null,
      reason: expect.stringMatching(/No grant/),
    });
    expect(decideAccess([], "anything", "read").allowed).toBe(false);
  });

  it("prefers the most specific grant when several match", () => {
    const overlapping: Grant[] = [
      { pattern: "*", access: "read" },
      { pattern: "billing.*", access: "read" },
      { pattern: "billing.invoices", access: "readwrite" },
    ];
    expect(decideAccess(overlapping, "billing.invoices", "read")).toEqual({ allowed: true, grant: overlapping[2] });
    expect(decideAccess(overlapping, "billing.x", "read")).toEqual({ allowed: true, grant: overlapping[1] });
    // Any grant that allows is enough, even a less specific one.
    expect(
      decideAccess(
        [
          { pattern: "billing.invoices", access: "read" },
          { pattern: "*", access: "readwrite" },
        ],
        "billing.invoices",
        "write",
      ),
    ).toMatchObject({
      allowed: true,
      grant: { pattern: "*" },
    });
  });

  it("refuses invalid namespace names whatever the grants", () => {
    for (const bad of ["", "Billing", "billing..x", ".billing", "billing.", "a/b", "../etc", "x".repeat(129)]) {
      expect(decideAccess([{ pattern: "*", access: "readwrite" }], bad, "read").allowed, bad).toBe(false);
    }
  });
});

describe("names and patterns", () => {
  it.each(["billing", "billing.runs", "a.b-c.d_e", "0.1", "x".repeat(128)])("accepts namespace %s", (name) => {
    expect(isNamespaceName(name)).toBe(true);
  });
  it.each(["", "Billing", "-x", "a..b", "a.", "a b", "a/b", "é", "x".repeat(129)])("rejects namespace %j", (name) => {
    expect(isNamespaceName(name)).toBe(false);
  });
  it.each(["*", "billing", "billing.*", "a.b.*"])("accepts pattern %s", (pattern) => {
    expect(checkGrantPattern(pattern)).toEqual({ valid: true });
  });
  it.each(["", "billing*", "*.billing", "billing.*.x", "**", "billing.", "Billing.*", ".*"])(
    "rejects pattern %j",
    (pattern) => {
      expect(checkGrantPattern(pattern).valid).toBe(false);
    },
  );
});
