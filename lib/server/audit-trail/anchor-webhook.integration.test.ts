import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, describe, expect, it } from "vitest";
import { verifySignature } from "@/lib/core/webhooks";
import { checkpointMessage, verifyMessage } from "@/lib/core/audit-checkpoint";

// The receiver must be known before the environment is first read (lib/env.ts reads it once).
const received: { body: string; signature: string | undefined }[] = [];
const receiver = createServer((req, res) => {
  let body = "";
  req.on("data", (c: Buffer) => (body += c.toString()));
  req.on("end", () => {
    received.push({ body, signature: req.headers["x-basekv-signature"] as string | undefined });
    res.writeHead(204).end();
  });
});
await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
process.env.AUDIT_ANCHOR_WEBHOOK_URL = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/anchors`;
process.env.AUDIT_ANCHOR_WEBHOOK_SECRET = "anchor-webhook-secret-0123456789";

const { seedWorkspace } = await import("@/tests/fixtures");
const { makeCheckpoints } = await import("./checkpoint");
const { sealPendingEvents } = await import("./seal-events");
const { currentSigner } = await import("./signing-key");

afterAll(() => new Promise<void>((resolve) => receiver.close(() => resolve())));

describe("the anchor webhook (a second sink outside the database)", () => {
  it("receives every checkpoint, signed like the escalation webhooks, with its Ed25519 signature", async () => {
    const { workspace } = await seedWorkspace(["admin"]);
    await sealPendingEvents({ wait: true, maxBatches: 100 });
    const [checkpoint] = await makeCheckpoints({ chainKey: workspace.id, force: true, wait: true });
    expect(checkpoint).toBeDefined();
    const delivery = received.find((r) => r.body.includes(checkpoint!.signature));
    expect(delivery).toBeDefined();
    const now = Math.floor(Date.now() / 1000);
    expect(verifySignature("anchor-webhook-secret-0123456789", delivery!.body, delivery!.signature ?? "", now)).toBe(true);
    const line = JSON.parse(delivery!.body) as typeof checkpoint & { type: string };
    expect(line.type).toBe("checkpoint");
    expect(verifyMessage(currentSigner()!.publicKey, checkpointMessage(line), line.signature)).toBe(true);
  });
});
