import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { admitRefusalAudit, AUDIT_WINDOW_MS, boundText, type RefusalWindow } from "./refusal-audit";

describe("boundText", () => {
  it("keeps text that fits, cuts the rest to exactly max with a marker that says how much went", () => {
    expect(boundText("/api/v1/policy", 256)).toBe("/api/v1/policy");
    const long = "/api/v1/kv/a/" + "x".repeat(14_000);
    const bounded = boundText(long, 256);
    expect(bounded).toHaveLength(256);
    const cut = Number(/…\[truncated (\d+) chars\]$/.exec(bounded)?.[1]);
    expect(bounded.slice(0, 256 - `…[truncated ${cut} chars]`.length) + "x".repeat(cut)).toBe(long);
  });

  it("never exceeds max and always loses only what the marker names", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 3000 }), fc.integer({ min: 40, max: 2048 }), (text, max) => {
        const out = boundText(text, max);
        expect(out.length).toBeLessThanOrEqual(max);
        if (text.length <= max) {
          expect(out).toBe(text);
          return;
        }
        const cut = Number(/…\[truncated (\d+) chars\]$/.exec(out)![1]);
        expect(out.length - `…[truncated ${cut} chars]`.length + cut).toBe(text.length);
        expect(text.startsWith(out.slice(0, out.length - `…[truncated ${cut} chars]`.length))).toBe(true);
      }),
    );
  });
});

describe("admitRefusalAudit", () => {
  it("audits `limit` refusals per address per minute, drops and counts the rest, then starts again", () => {
    let window: RefusalWindow | undefined;
    const decisions: boolean[] = [];
    for (let i = 0; i < 35; i++) {
      const next = admitRefusalAudit(window, 1_000 + i, 30);
      decisions.push(next.audit);
      window = next.window;
    }
    expect(decisions.filter(Boolean)).toHaveLength(30);
    expect(decisions.slice(30)).toEqual([false, false, false, false, false]);
    expect(window).toEqual({ startedAt: 1_000, audited: 30, dropped: 5 });
    expect(admitRefusalAudit(window, 1_000 + AUDIT_WINDOW_MS - 1, 30).audit).toBe(false);
    expect(admitRefusalAudit(window, 1_000 + AUDIT_WINDOW_MS, 30)).toEqual({
      audit: true,
      window: { startedAt: 1_000 + AUDIT_WINDOW_MS, audited: 1, dropped: 0 },
    });
  });
});
