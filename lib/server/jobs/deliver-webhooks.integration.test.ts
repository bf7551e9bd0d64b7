import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SIGNATURE_HEADER, verifySignature } from "@/lib/core/webhooks";
import { deadLetterTask, requestTestAction, seedAgent, seedRule } from "@/tests/agent-fixtures";
import { seedWorkspace, testActor } from "@/tests/fixtures";
import { sealPendingEvents } from "../audit-trail/seal-events";
import { getDb } from "../db";
import { setNotifications } from "../workflow-classes/set-notifications";
import { runActionDeadlines } from "./action-deadlines";
import { deliverDueWebhooks, notifyOverdueEscalations } from "./deliver-webhooks";

/**
 * A real local HTTP receiver: records what it gets, answers with the status a test asks for — after
 * the promise in `holds`, for a receiver that takes its time. (127.0.0.1 is allowed for the
 * integration tests by WEBHOOK_ALLOWED_HOSTS, tests/integration-setup.ts.)
 */
type Received = { path: string; headers: http.IncomingHttpHeaders; body: string };
const received: Received[] = [];
const answers = new Map<string, number | { status: number; headers: Record<string, string> }>();
const holds = new Map<string, Promise<void>>();
let server: http.Server;
let base: string;

beforeAll(async () => {
  server = http.createServer((req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => (body += c.toString()));
    req.on("end", () => {
      received.push({ path: req.url ?? "", headers: req.headers, body });
      const answer = answers.get(req.url ?? "") ?? 200;
      void (holds.get(req.url ?? "") ?? Promise.resolve()).then(() =>
        typeof answer === "number"
          ? res.writeHead(answer).end("ok")
          : res.writeHead(answer.status, answer.headers).end(),
      );
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
  return { secret: secret!, escalation, now, workspaceId: agent.workspace.id };
}

const deliveriesOf = (escalationId: string) =>
  getDb().webhookDelivery.findMany({ where: { escalationId }, orderBy: { id: "asc" } });

describe("escalation webhooks", () => {
  it("delivers a Slack-compatible payload with a valid HMAC signature and a link to the escalation", async () => {
    const { secret, escalation, workspaceId } = await deadLetter("/ok");
    await deliverDueWebhooks({ workspaceId });
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
    const { escalation, workspaceId } = await deadLetter("/flaky");
    const t0 = new Date();
    await deliverDueWebhooks({ now: t0, workspaceId });
    let [delivery] = await deliveriesOf(escalation.id);
    expect(delivery).toMatchObject({ status: "pending", attempts: 1, lastStatusCode: 500, lastError: "HTTP 500" });
    expect(delivery!.nextAttemptAt.getTime() - t0.getTime()).toBe(2000);

    await deliverDueWebhooks({ now: new Date(t0.getTime() + 1000), workspaceId }); // not due yet
    expect((await deliveriesOf(escalation.id))[0]!.attempts).toBe(1);

    await deliverDueWebhooks({ now: new Date(t0.getTime() + 2000), workspaceId });
    [delivery] = await deliveriesOf(escalation.id);
    expect(delivery).toMatchObject({ attempts: 2, status: "pending" });
    expect(delivery!.nextAttemptAt.getTime() - t0.getTime()).toBe(2000 + 4000);

    answers.set("/flaky", 204);
    await deliverDueWebhooks({ now: new Date(t0.getTime() + 6000), workspaceId });
    expect((await deliveriesOf(escalation.id))[0]).toMatchObject({ status: "delivered", attempts: 3 });
  });

  it("re-notifies an escalation still open after the acknowledgement deadline, to the second tier, once", async () => {
    const { escalation, now, workspaceId } = await deadLetter("/tier1", { tier2: "/tier2", ackDeadlineSeconds: 60 });
    expect(await notifyOverdueEscalations(new Date(now.getTime() + 30_000))).not.toContain(escalation.id);
    const later = new Date(now.getTime() + 61_000);
    expect(await notifyOverdueEscalations(later)).toContain(escalation.id);
    expect(await notifyOverdueEscalations(later)).not.toContain(escalation.id);
    await deliverDueWebhooks({ now: later, workspaceId });
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

  it("does not follow a redirect: a receiver cannot bounce the request elsewhere", async () => {
    answers.set("/bounce", { status: 302, headers: { Location: `${base}/bounced-to` } });
    const { escalation, workspaceId } = await deadLetter("/bounce");
    await deliverDueWebhooks({ workspaceId });
    expect(received.filter((r) => r.path === "/bounced-to")).toEqual([]);
    expect((await deliveriesOf(escalation.id))[0]).toMatchObject({
      status: "pending",
      lastStatusCode: 302,
      lastError: "HTTP 302 (redirects are not followed)",
    });
  });

  it("sends outside any transaction: while a receiver keeps a delivery waiting, another workspace's audit events are sealed", async () => {
    // A receiver that does not answer until the test lets it (at most 4 s, under the 5 s send timeout).
    let release!: () => void;
    holds.set(
      "/slow",
      new Promise<void>((resolve) => {
        release = resolve;
        setTimeout(resolve, 4_000);
      }),
    );
    let answered = false;
    void holds.get("/slow")!.then(() => (answered = true));
    const { escalation, workspaceId } = await deadLetter("/slow");
    let settled = false;
    const delivery = deliverDueWebhooks({ workspaceId }).finally(() => (settled = true));
    await expect
      .poll(() => received.some((r) => r.path === "/slow" && r.body.includes(escalation.id)), { timeout: 10_000 })
      .toBe(true);

    // Meanwhile another workspace changes something (its audit events), and the chainer runs as the scheduler runs it.
    const other = await seedWorkspace();
    const event = await getDb().auditEvent.findFirstOrThrow({
      where: { workspaceId: other.workspace.id },
      orderBy: { id: "desc" },
      select: { id: true },
    });
    const sealed = async () => (await getDb().auditSeal.count({ where: { eventId: event.id } })) > 0;
    let sealedInFlight = false;
    while (!answered && !settled) {
      await sealPendingEvents();
      if (await sealed()) {
        sealedInFlight = !answered && !settled; // the slow delivery was still waiting for its answer
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(sealedInFlight).toBe(true);

    release();
    expect(await delivery).toMatchObject({ delivered: 1 });
    expect((await deliveriesOf(escalation.id))[0]).toMatchObject({ status: "delivered", claimToken: null });
  });

  it("claims a delivery once: two runs at the same moment (two instances) send it once", async () => {
    let release!: () => void;
    holds.set("/once", new Promise<void>((resolve) => (release = resolve)));
    const { escalation, workspaceId } = await deadLetter("/once");
    const first = deliverDueWebhooks({ workspaceId });
    await expect.poll(() => received.filter((r) => r.path === "/once").length, { timeout: 10_000 }).toBe(1);
    // The first run is mid-send (claimed, no transaction open): a second run finds nothing to take.
    expect(await deliverDueWebhooks({ workspaceId })).toEqual({ delivered: 0, retried: 0, failed: 0 });
    release();
    expect(await first).toMatchObject({ delivered: 1 });
    expect(received.filter((r) => r.path === "/once" && r.body.includes(escalation.id))).toHaveLength(1);
  });
});

describe("approval notices", () => {
  it("approval.requested, the second tier at half the timeout, and approval.expired: delivered, signed, linked to the action", async () => {
    const agent = await seedAgent();
    const { secret } = await setNotifications({
      workspaceId: agent.workspace.id,
      actor: testActor,
      classId: agent.workflowClass.id,
      webhookUrl: `${base}/approvals`,
      webhookUrlTier2: `${base}/approvals-tier2`,
      ackDeadlineSeconds: null,
      newSecret: true,
    });
    await seedRule(agent, {
      name: "ask",
      action: "payments.*",
      effect: "require_approval",
      approvalTimeoutSeconds: 100,
    });
    const action = await requestTestAction(agent);
    await runActionDeadlines({ workspaceId: agent.workspace.id, now: new Date(Date.now() + 51_000) }); // half-way
    await runActionDeadlines({ workspaceId: agent.workspace.id, now: new Date(Date.now() + 101_000) }); // expired
    // The job's clock ran ahead: so does the delivery's (the notices are due at the times they were made).
    const later = new Date(Date.now() + 102_000);
    await deliverDueWebhooks({ workspaceId: agent.workspace.id, now: later });

    const hits = received.filter((r) => r.body.includes(action.id));
    const events = hits.map((h) => [h.path, JSON.parse(h.body).approval.event]).sort();
    expect(events).toEqual(
      [
        ["/approvals", "approval.expired"],
        ["/approvals", "approval.requested"],
        ["/approvals-tier2", "approval.requested"],
      ].sort(),
    );
    for (const hit of hits) {
      const signature = hit.headers[SIGNATURE_HEADER.toLowerCase()] as string;
      expect(verifySignature(secret!, hit.body, signature, Math.floor(later.getTime() / 1000))).toBe(true);
      const payload = JSON.parse(hit.body);
      expect(payload.text).toContain(`/actions/${action.id}|Open action>`);
      expect(payload.approval).toMatchObject({ actionId: action.id, action: "payments.refund", estimateUsd: 12 });
    }
    const deliveries = await getDb().webhookDelivery.findMany({ where: { actionId: action.id } });
    expect(deliveries.every((d) => d.status === "delivered")).toBe(true);
  });
});
