import { describe, expect, it } from "vitest";
import {
  checkWebhookUrl,
  deliveryBackoffSeconds,
  deliveryResultText,
  escalationPayload,
  maskWebhookUrl,
  parseAllowedHosts,
  PUBLIC_ONLY,
  signatureHeader,
  verifySignature,
} from "./webhooks";

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

describe("webhook destinations (SSRF)", () => {
  const refusal = (url: string, policy = PUBLIC_ONLY) => {
    const decision = checkWebhookUrl(url, policy);
    return decision.ok ? "ok" : decision.reason;
  };

  it("refuses URLs whose host is an address of the server's own networks, however it is spelled", () => {
    for (const url of [
      "http://127.0.0.1:5432/",
      "http://2130706433/",
      "http://0x7f000001/",
      "http://0177.0.0.1/",
      "http://127.1/",
      "http://127.0.0.1./",
      "http://[::1]:8080/",
      "http://[::ffff:127.0.0.1]/",
      "http://[::ffff:7f00:1]/",
      "http://[0:0:0:0:0:ffff:127.0.0.1]/",
      "http://[64:ff9b::127.0.0.1]/",
      "http://[2002:7f00:1::]/",
      "http://0.0.0.0/",
      "http://0/",
      "http://10.0.0.5/",
      "http://012.0.0.5/",
      "http://172.16.3.4/",
      "http://192.168.1.1/",
      "http://3232235777/",
      "http://169.254.169.254/latest/meta-data/",
      "http://[fd00::1]/",
      "http://[fe80::1]/",
      "http://224.0.0.1/",
      "http://255.255.255.255/",
      "http://100.64.1.1/",
      "https://user:pw@127.0.0.1/",
      "http://localhost:3000/",
      "http://LOCALHOST./",
      "http://api.localhost/",
    ])
      expect(refusal(url), url).not.toBe("ok");
    expect(refusal("http://0x7f000001:9/")).toBe("127.0.0.1 (a loopback address)");
    expect(refusal("http://[::ffff:127.0.0.1]/")).toBe("::ffff:7f00:1 (embeds 127.0.0.1: a loopback address)");
  });

  it("accepts public addresses and host names (whose addresses are judged when resolved)", () => {
    for (const url of [
      "https://hooks.slack.com/services/T000/B000/XXXX",
      "http://93.184.215.14/",
      "http://[2606:4700:4700::1111]/",
      "http://[::ffff:8.8.8.8]/",
      "http://localhost.example.com/",
    ])
      expect(refusal(url), url).toBe("ok");
    expect(checkWebhookUrl("https://hooks.slack.com/x", PUBLIC_ONLY)).toMatchObject({
      ok: true,
      host: "hooks.slack.com",
      port: 443,
      literal: false,
      trusted: false,
    });
    expect(checkWebhookUrl("http://[::ffff:8.8.8.8]:81/", PUBLIC_ONLY)).toMatchObject({
      host: "::ffff:808:808",
      port: 81,
      literal: true,
    });
  });

  it("refuses other schemes and non-URLs", () => {
    for (const url of ["ftp://example.com/", "file:///etc/passwd", "gopher://127.0.0.1:6379/", "not a url", "http://"])
      expect(refusal(url), url).not.toBe("ok");
  });

  it("lets the operator allow private destinations: all of them, or named hosts (with or without a port)", () => {
    expect(refusal("http://10.0.0.5/", { allowPrivateNetworks: true, allowedHosts: [] })).toBe("ok");
    const policy = {
      allowPrivateNetworks: false,
      allowedHosts: parseAllowedHosts("127.0.0.1:8080, hooks.corp, [::1]"),
    };
    expect(policy.allowedHosts).toEqual(["127.0.0.1:8080", "hooks.corp", "[::1]"]);
    expect(refusal("http://127.0.0.1:8080/", policy)).toBe("ok");
    expect(refusal("http://0x7f000001:8080/", policy)).toBe("ok"); // the same host, as URLs see it
    expect(refusal("http://127.0.0.1:8081/", policy)).not.toBe("ok");
    expect(refusal("http://[::1]:9/", policy)).toBe("ok");
    expect(checkWebhookUrl("https://hooks.corp/x", policy)).toMatchObject({ ok: true, trusted: true });
    expect(checkWebhookUrl("https://other.corp/x", policy)).toMatchObject({ ok: true, trusted: false });
    expect(parseAllowedHosts("")).toEqual([]);
    expect(parseAllowedHosts("0x7f000001,HOOKS.Corp:443")).toEqual(["127.0.0.1", "hooks.corp:443"]);
    for (const bad of ["http://x", "a b", "host:99999", "x/y", "[::1", "h:"])
      expect(() => parseAllowedHosts(bad), bad).toThrow(/not a host/);
  });

  it("masks a URL to its scheme and host for everyone but admins", () => {
    expect(maskWebhookUrl("https://hooks.slack.com/services/T000/B000/XXXX?x=1")).toBe("https://hooks.slack.com/…");
    expect(maskWebhookUrl("https://user:secret@example.com:8443/p")).toBe("https://example.com:8443/…");
    expect(maskWebhookUrl("garbage")).toBe("[redacted]");
  });

  it("shows a delivery's detail to admins only", () => {
    const failed = { status: "pending" as const, lastStatusCode: 500, lastError: "HTTP 500" };
    expect(deliveryResultText(failed, true)).toBe("HTTP 500");
    expect(deliveryResultText(failed, false)).toBe("delivery failed");
    const refused = {
      status: "failed" as const,
      lastStatusCode: null,
      lastError: "refused: 127.0.0.1 (a loopback address)",
    };
    expect(deliveryResultText(refused, false)).toBe("delivery failed");
    const ok = { status: "delivered" as const, lastStatusCode: 204, lastError: null };
    expect(deliveryResultText(ok, true)).toBe("HTTP 204");
    expect(deliveryResultText(ok, false)).toBe("delivered");
    expect(deliveryResultText({ status: "pending", lastStatusCode: null, lastError: null }, false)).toBe("—");
  });
});
