import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SIGNATURE_HEADER, verifySignature } from "@/lib/core/webhooks";
import { deadLetterTask, seedAgent } from "@/tests/agent-fixtures";
import { testActor } from "@/tests/fixtures";
import { getDb } from "../db";
import { setNotifications } from "../workflow-classes/set-notifications";
import { deliverDueWebhooks, notifyOverdueEscalations } from "./deliver-webhooks";

/** A real local HTTP receiver: records what it gets, answers with the status a test asks for. */
type Received = { path: string; headers: http.IncomingHttpHeaders; body: string };
const received: Received[] = [];
const answers = new Map<string, number>();
let server: http.Server;
let base: string;

beforeAll(async () => {
  server = http.createServer((req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => (body += c.toString()));
    req.on("end", () => {
      received.push({ path: req.url ?? "", headers: req.headers, body });
      res.writeHead(answers.get(req.url ?? "") ?? 200).end("ok");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

async function deadLetter(path: string, options: { tier2?: string; ackDeadlineSeconds?: number } = {}) {
  const agent = await seedAgent();
  const { secret } = await setNotifications({
    workspaceId: agent.workspace.id,
    actor: testActor,
    classId: agent.workflowClass.id,
    webhookUrl: `${base}${path}`,
    webhookUrlTier2: options.tier2 ? `${base}${options.tier2}` : null,
    ackDeadlineSeconds: options.ackDeadlineSeconds ?? null,
    newSecret: true,
  });
  const now = new Date();
  const { escalation } = await deadLetterTask(agent, now);
  return { secret: secret!, escalation, now };
}

const deliveriesOf = (escalationId: string) =>
  getDb().webhookDelivery.findMany({ where: { escalationId }, orderBy: { id: "asc" } });

describe("escalation webhooks", () => {
  it("delivers a Slack-compatible payload with a valid HMAC signature and a link to the escalation", async () => {
    const { secret, escalation } = await deadLetter("/ok");
    await deliverDueWebhooks();
    const hit = received.find((r) => r.path === "/ok" && r.body.includes(escalation.id));
    expect(hit).toBeDefined();
    const signature = hit!.headers[SIGNATURE_HEADER.toLowerCase()] as string;
    expect(verifySignature(secret, hit!.body, signature, Math.floor(Date.now() / 1000))).toBe(true);
    const payload = JSON.parse(hit!.body);
    expect(payload.text).toContain(`/escalations/${escalation.id}|Open escalation>`);
    expect(payload.escalation).toMatchObject({ id: escalation.id, cause: "dead_letter" });
    expect(await deliveriesOf(escalation.id)).toMatchObject([
      { status: "delivered", attempts: 1, lastStatusCode: 200 },
    ]);
  });

  it("retries a failing receiver with exponential backoff, keeping attempts and errors visible", async () => {
    answers.set("/flaky", 500);
    const { escalation } = await deadLetter("/flaky");
    const t0 = new Date();
    await deliverDueWebhooks(t0);
    let [delivery] = await deliveriesOf(escalation.id);
    expect(delivery).toMatchObject({ status: "pending", attempts: 1, lastStatusCode: 500, lastError: "HTTP 500" });
    expect(delivery!.nextAttemptAt.getTime() - t0.getTime()).toBe(2000);

    await deliverDueWebhooks(new Date(t0.getTime() + 1000)); // not due yet
    expect((await deliveriesOf(escalation.id))[0]!.attempts).toBe(1);

    await deliverDueWebhooks(new Date(t0.getTime() + 2000));
    [delivery] = await deliveriesOf(escalation.id);
    expect(delivery).toMatchObject({ attempts: 2, status: "pending" });
    expect(delivery!.nextAttemptAt.getTime() - t0.getTime()).toBe(2000 + 4000);

    answers.set("/flaky", 204);
    await deliverDueWebhooks(new Date(t0.getTime() + 6000));
    expect((await deliveriesOf(escalation.id))[0]).toMatchObject({ status: "delivered", attempts: 3 });
  });

  it("re-notifies an escalation still open after the acknowledgement deadline, to the second tier, once", async () => {
    const { escalation, now } = await deadLetter("/tier1", { tier2: "/tier2", ackDeadlineSeconds: 60 });
    expect(await notifyOverdueEscalations(new Date(now.getTime() + 30_000))).not.toContain(escalation.id);
    const later = new Date(now.getTime() + 61_000);
    expect(await notifyOverdueEscalations(later)).toContain(escalation.id);
    expect(await notifyOverdueEscalations(later)).not.toContain(escalation.id);
    await deliverDueWebhooks(later);
    const tier2 = received.find((r) => r.path === "/tier2" && r.body.includes(escalation.id));
    expect(JSON.parse(tier2!.body).text).toMatch(/Still unacknowledged/);
    expect((await getDb().escalation.findUniqueOrThrow({ where: { id: escalation.id } })).overdueNotifiedAt).toEqual(
      later,
    );
    expect((await deliveriesOf(escalation.id)).map((d) => [d.tier, d.status])).toEqual([
      [1, "delivered"],
      [2, "delivered"],
    ]);
  });
});
