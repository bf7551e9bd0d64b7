import { describe, expect, it } from "vitest";
import { encodeReason, parseEtag, parseGuardrail } from "./headers";

describe("parseGuardrail", () => {
  it("reads mode, budget and ids from the standard headers", () => {
    const headers = new Headers({
      "X-Guardrail-Mode": "degraded",
      "RateLimit-Limit": "1000",
      "RateLimit-Remaining": "150",
      "RateLimit-Reset": "3600",
      "X-Request-Id": "req_1",
      "X-Correlation-Id": "corr_1",
    });
    expect(parseGuardrail(headers)).toEqual({
      mode: "degraded",
      limit: 1000,
      remaining: 150,
      resetSeconds: 3600,
      requestId: "req_1",
      correlationId: "corr_1",
    });
  });

  it("unlimited budgets and unauthenticated answers leave nulls; unknown modes are not trusted", () => {
    expect(parseGuardrail(new Headers({ "X-Guardrail-Mode": "paused", "RateLimit-Limit": "x" }))).toEqual({
      mode: null,
      limit: null,
      remaining: null,
      resetSeconds: null,
      requestId: null,
      correlationId: null,
    });
  });
});

describe("parseEtag", () => {
  it("reads quoted, weak and bare numbers", () => {
    expect(parseEtag('"3"')).toBe(3);
    expect(parseEtag('W/"12"')).toBe(12);
    expect(parseEtag("7")).toBe(7);
    expect(parseEtag('"abc"')).toBeNull();
    expect(parseEtag(null)).toBeNull();
  });
});

describe("encodeReason", () => {
  it("keeps printable ASCII, percent-encodes UTF-8 and '%' so the server's decoding restores the text", () => {
    for (const reason of ["nightly import", "réimport ✓ — 100% done", "emoji 🚀 and tab\t", "%41 stays %41"]) {
      const encoded = encodeReason(reason);
      expect(encoded).toMatch(/^[\x20-\x7e]*$/);
      expect(decodeURIComponent(encoded)).toBe(reason);
    }
    expect(encodeReason("nightly import")).toBe("nightly import");
    expect(encodeReason("50%")).toBe("50%25");
  });
});
