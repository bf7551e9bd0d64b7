import { describe, expect, it } from "vitest";
import { redactSecrets } from "./audit";

describe("redactSecrets", () => {
  it("drops secret fields at any depth and keeps the rest", () => {
    const out = redactSecrets({
      email: "a@b.c",
      password: "hunter2hunter2",
      nested: { passwordHash: "$2b$…", apiKey: "bkv_x", key: "billing/42", list: [{ token: "t", ok: 1 }] },
    });
    expect(out).toEqual({
      email: "a@b.c",
      password: "[redacted]",
      nested: {
        passwordHash: "[redacted]",
        apiKey: "[redacted]",
        key: "billing/42",
        list: [{ token: "[redacted]", ok: 1 }],
      },
    });
  });

  it("keeps only scheme and host of URLs (webhook URLs are secrets), at any depth", () => {
    expect(
      redactSecrets({
        webhookUrl: "https://hooks.slack.com/services/T000/B000/XXXX",
        webhookUrlTier2: null,
        nested: { webhook_url_tier2: "http://example.com:8080/hook?token=1", urls: ["https://a.example/x", 3] },
        url: "not a url",
        target: "https://kept.example/plain-text-elsewhere",
      }),
    ).toEqual({
      webhookUrl: "https://hooks.slack.com/…",
      webhookUrlTier2: null,
      nested: { webhook_url_tier2: "http://example.com:8080/…", urls: ["https://a.example/…", "[redacted]"] },
      url: "[redacted]",
      target: "https://kept.example/plain-text-elsewhere",
    });
  });

  it("makes values JSON-safe", () => {
    expect(redactSecrets({ at: new Date("2026-01-01T00:00:00Z"), n: 10n, inf: Infinity, skip: undefined })).toEqual({
      at: "2026-01-01T00:00:00.000Z",
      n: "10",
      inf: null,
    });
  });
});
