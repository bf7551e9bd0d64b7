import { describe, expect, it } from "vitest";
import { deliveryBackoffSeconds, escalationPayload, signatureHeader, verifySignature } from "./webhooks";

describe("webhook signatures", () => {
  const body = JSON.stringify({ text: "hello" });
  it("verify with the right secret, fail with another secret, another body or a stale timestamp", () => {
    const header = signatureHeader("s3cret", body, 1_700_000_000);
    expect(header).toMatch(/^t=1700000000,v1=[0-9a-f]{64}$/);
    expect(verifySignature("s3cret", body, header, 1_700_000_010)).toBe(true);
    expect(verifySignature("other", body, header, 1_700_000_010)).toBe(false);
    expect(verifySignature("s3cret", `${body} `, header, 1_700_000_010)).toBe(false);
    expect(verifySignature("s3cret", body, header, 1_700_001_000)).toBe(false);
    expect(verifySignature("s3cret", body, "garbage", 1_700_000_010)).toBe(false);
  });
});

describe("delivery backoff", () => {
  it("doubles from 2 s and caps at 5 minutes", () => {
    expect([1, 2, 3, 4, 8, 20].map(deliveryBackoffSeconds)).toEqual([2, 4, 8, 16, 256, 300]);
  });
});

describe("payload", () => {
  it("is Slack-compatible and links to the escalation", () => {
    const p = escalationPayload({
      id: "esc_1",
      cause: "dead_letter",
      reason: "boom",
      taskId: "task_1",
      workflowClass: "invoices",
      workspace: "acme",
      link: "http://x/w/acme/escalations/esc_1",
      overdue: false,
    });
    expect(p.text).toContain("<http://x/w/acme/escalations/esc_1|Open escalation>");
    expect(p.blocks[1]).toMatchObject({ type: "actions" });
  });
});
