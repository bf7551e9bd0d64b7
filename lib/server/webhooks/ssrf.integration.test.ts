import http from "node:http";
import type { LookupAddress } from "node:dns";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";

/**
 * SSRF through webhook URLs (issue #17, finding 4), attacked as a deployment
 * sees it: the production default — webhooks reach public addresses only. (The
 * other integration test files allow their 127.0.0.1 receivers; this one takes
 * that back, before lib/env first reads the environment.)
 */
vi.hoisted(() => {
  process.env.WEBHOOK_ALLOWED_HOSTS = "";
  process.env.WEBHOOK_ALLOW_PRIVATE_NETWORKS = "false";
});

import { setNotificationsAction } from "@/app/(dashboard)/w/[workspace]/workflows/actions";
import { MAX_DELIVERY_ATTEMPTS } from "@/lib/core/webhooks";
import { deadLetterTask, seedAgent } from "@/tests/agent-fixtures";
import { auditEvents, testActor } from "@/tests/fixtures";
import { form, session } from "@/tests/session-mock";
import { getDb } from "../db";
import { listEscalationDeliveries } from "../escalations/list-deliveries";
import { deliverDueWebhooks } from "../jobs/deliver-webhooks";
import { setNotifications } from "../workflow-classes/set-notifications";
import { guardedLookup } from "./destination";
import { postWebhook } from "./post-webhook";

vi.mock("@/lib/server/auth/config", () => import("@/tests/session-mock"));
vi.mock("next/cache", () => ({ revalidatePath: () => {} }));

/** Something listening on the server's loopback: what an attacker would probe. It records every request. */
const hits: string[] = [];
let server: http.Server;
let port: number;
beforeAll(async () => {
  server = http.createServer((req, res) => {
    hits.push(req.url ?? "");
    req.resume();
    res.writeHead(200).end("internal service says hello");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  port = (server.address() as AddressInfo).port;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

/** A resolver as DNS could answer, per call: e.g. a public address first, loopback afterwards (rebinding). */
function resolver(...answers: string[][]) {
  let call = 0;
  const calls: string[] = [];
  const resolve = async (hostname: string): Promise<LookupAddress[]> => {
    calls.push(hostname);
    const answer = answers[Math.min(call++, answers.length - 1)]!;
    return answer.map((address) => ({ address, family: address.includes(":") ? 6 : 4 }));
  };
  return Object.assign(resolve, { calls });
}

const PUBLIC = "93.184.215.14";

describe("webhook URLs that point into the server's own network", () => {
  const spellings = (p: number) => [
    `http://127.0.0.1:${p}/`,
    `http://2130706433:${p}/`,
    `http://0x7f000001:${p}/`,
    `http://0177.0.0.1:${p}/`,
    `http://127.1:${p}/`,
    `http://[::1]:${p}/`,
    `http://[::ffff:127.0.0.1]:${p}/`,
    `http://[64:ff9b::7f00:1]:${p}/`,
    `http://0.0.0.0:${p}/`,
    `http://localhost:${p}/`,
    "http://169.254.169.254/latest/meta-data/iam/security-credentials/",
    "http://10.0.0.5/",
    "http://[fd00::1]/",
  ];

  it("are refused when an admin saves them, with a form error, and nothing is saved", async () => {
    const agent = await seedAgent();
    session.userId = agent.members.admin!.id;
    for (const url of spellings(port)) {
      for (const field of ["webhookUrl", "webhookUrlTier2"] as const) {
        const result = await setNotificationsAction(
          undefined,
          form({
            workspace: agent.workspace.slug,
            classId: agent.workflowClass.id,
            webhookUrl: field === "webhookUrl" ? url : `https://${PUBLIC}/ok`,
            ...(field === "webhookUrlTier2" ? { webhookUrlTier2: url } : {}),
          }),
        );
        expect(result.ok, url).toBe(false);
        expect(result.fieldErrors?.[field]?.[0], url).toMatch(/^Refused: .*(loopback|link-local|private|unspecified)/);
      }
    }
    const wc = await getDb().workflowClass.findUniqueOrThrow({ where: { id: agent.workflowClass.id } });
    expect([wc.webhookUrl, wc.webhookUrlTier2]).toEqual([null, null]);
    expect(
      await auditEvents({ workspaceId: agent.workspace.id, action: "workflow_class.notifications_changed" }),
    ).toEqual([]);
  });

  it("a host name that resolves to loopback is refused when saved", async () => {
    const agent = await seedAgent();
    await expect(
      setNotifications({
        workspaceId: agent.workspace.id,
        actor: testActor,
        classId: agent.workflowClass.id,
        webhookUrl: `http://hooks.example.com:${port}/`,
        webhookUrlTier2: null,
        ackDeadlineSeconds: null,
        newSecret: false,
        resolve: resolver([PUBLIC, "127.0.0.1"]), // one private answer among public ones is enough
      }),
    ).rejects.toMatchObject({
      code: "validation_failed",
      details: { field: "webhookUrl" },
      message: expect.stringContaining("hooks.example.com resolves to 127.0.0.1 (a loopback address)"),
    });
  });

  it("a stored notification to loopback (saved before, or by any other way) is not sent, in any spelling", async () => {
    const agent = await seedAgent();
    const { escalation } = await deadLetterTask(agent);
    const urls = spellings(port)
      .slice(0, 9)
      .map((u) => `${u}probe`);
    await getDb().webhookDelivery.createMany({
      data: urls.map((url) => ({
        escalationId: escalation.id,
        url,
        nextAttemptAt: new Date(),
        attempts: MAX_DELIVERY_ATTEMPTS - 1,
      })),
    });
    expect(await deliverDueWebhooks({ workspaceId: agent.workspace.id })).toEqual({
      delivered: 0,
      retried: 0,
      failed: urls.length,
    });
    expect(hits).toEqual([]);
    const deliveries = await getDb().webhookDelivery.findMany({ where: { escalationId: escalation.id } });
    for (const d of deliveries) {
      expect(d, d.url).toMatchObject({ status: "failed", lastStatusCode: null });
      expect(d.lastError, d.url).toMatch(/^refused: .*(loopback|unspecified)/);
    }
    // The trail, which everyone reads, says that it was refused — not what the address answered.
    const trail = await auditEvents({ workspaceId: agent.workspace.id, action: "escalation.notification_failed" });
    expect(trail).toHaveLength(urls.length);
    for (const e of trail) {
      expect(e.reason).toBe("destination refused: not a public address (details on the escalation, for admins)");
      expect(JSON.stringify(e.details)).not.toContain("127.0.0.1");
    }
  });

  it("DNS rebinding: a name that was public when saved and resolves to 127.0.0.1 at delivery is not sent", async () => {
    const agent = await seedAgent();
    const dns = resolver([PUBLIC], ["127.0.0.1"]);
    await setNotifications({
      workspaceId: agent.workspace.id,
      actor: testActor,
      classId: agent.workflowClass.id,
      webhookUrl: `http://rebind.example.com:${port}/rebound`,
      webhookUrlTier2: null,
      ackDeadlineSeconds: null,
      newSecret: true,
      resolve: dns, // first answer: public, so saving is accepted
    });
    const { escalation } = await deadLetterTask(agent);
    expect(await deliverDueWebhooks({ workspaceId: agent.workspace.id, resolve: dns })).toMatchObject({
      retried: 1,
    });
    expect(dns.calls).toEqual(["rebind.example.com", "rebind.example.com"]);
    expect(hits).toEqual([]);
    const [delivery] = await getDb().webhookDelivery.findMany({ where: { escalationId: escalation.id } });
    expect(delivery).toMatchObject({
      status: "pending",
      attempts: 1,
      lastStatusCode: null,
      lastError: "refused: rebind.example.com resolves to 127.0.0.1 (a loopback address)",
    });
  });

  it("the connection gets only the addresses that were checked, from one resolution", async () => {
    // net.connect asks the lookup where to connect; the answer is the checked one, never a second resolution.
    const dns = resolver([PUBLIC, "2606:4700:4700::1111"], ["127.0.0.1"]);
    const lookup = guardedLookup(dns);
    const ask = (options: { all?: boolean; family?: number }) =>
      new Promise<unknown>((resolve) =>
        lookup("flip.example.com", options, (error, address, family) =>
          resolve(error ? { error: error.message } : { address, family }),
        ),
      );
    expect(await ask({ all: true })).toEqual({
      address: [
        { address: PUBLIC, family: 4 },
        { address: "2606:4700:4700::1111", family: 6 },
      ],
      family: undefined,
    });
    expect(await ask({ family: 4 })).toEqual({ error: "flip.example.com resolves to 127.0.0.1 (a loopback address)" });
    expect(dns.calls).toHaveLength(2);
  });

  it("the socket connects where that one resolution said: the name is not resolved again by anyone else", async () => {
    // `receiver.test` exists only in this resolver; the operator allows it on private networks, so it connects.
    const dns = resolver(["127.0.0.1"]);
    const result = await postWebhook(`http://receiver.test:${port}/via-lookup`, {
      headers: {},
      body: "{}",
      policy: { allowPrivateNetworks: false, allowedHosts: ["receiver.test"] },
      resolve: dns,
      timeoutMs: 5_000,
    });
    expect(result).toEqual({ ok: true, statusCode: 200 });
    expect(hits.splice(0)).toEqual(["/via-lookup"]);
    expect(dns.calls).toEqual(["receiver.test"]);
    // Without the operator's allowance, the same answer is refused before any connection.
    const refused = await postWebhook(`http://receiver.test:${port}/via-lookup`, {
      headers: {},
      body: "{}",
      policy: { allowPrivateNetworks: false, allowedHosts: [] },
      resolve: resolver(["127.0.0.1"]),
      timeoutMs: 5_000,
    });
    expect(refused).toMatchObject({ ok: false, refused: true, statusCode: null });
    expect(hits).toEqual([]);
  });

  it("viewers and operators see neither the URL nor what the destination answered; admins see both", async () => {
    const agent = await seedAgent();
    const { escalation } = await deadLetterTask(agent);
    const secretUrl = `http://127.0.0.1:${port}/services/T000/B000/s3cr3tPathToken`;
    await getDb().webhookDelivery.create({
      data: { escalationId: escalation.id, url: secretUrl, nextAttemptAt: new Date() },
    });
    await deliverDueWebhooks({ workspaceId: agent.workspace.id });
    const view = (role: "admin" | "operator" | "auditor" | "viewer") =>
      listEscalationDeliveries({ workspaceId: agent.workspace.id, escalationId: escalation.id, role });
    expect(await view("admin")).toMatchObject([
      { destination: secretUrl, result: "refused: 127.0.0.1 (a loopback address)", attempts: 1 },
    ]);
    for (const role of ["operator", "auditor", "viewer"] as const) {
      const [row] = await view(role);
      expect(row, role).toMatchObject({ destination: `http://127.0.0.1:${port}/…`, result: "delivery failed" });
      expect(JSON.stringify(row), role).not.toMatch(/s3cr3tPathToken|refused|loopback/);
    }
    // Another workspace's escalation id shows nothing.
    const other = await seedAgent();
    expect(
      await listEscalationDeliveries({ workspaceId: other.workspace.id, escalationId: escalation.id, role: "admin" }),
    ).toEqual([]);
  });

  it("the audit trail keeps a saved webhook URL only as scheme and host", async () => {
    const agent = await seedAgent();
    await setNotifications({
      workspaceId: agent.workspace.id,
      actor: testActor,
      classId: agent.workflowClass.id,
      webhookUrl: "https://hooks.slack.com/services/T000/B000/XXXXsecret",
      webhookUrlTier2: "https://hooks.example.com/tier2/secret",
      ackDeadlineSeconds: 60,
      newSecret: false,
      resolve: resolver([PUBLIC]),
    });
    const [event] = await auditEvents({
      workspaceId: agent.workspace.id,
      action: "workflow_class.notifications_changed",
    });
    expect(event!.details).toMatchObject({
      webhookUrl: "https://hooks.slack.com/…",
      webhookUrlTier2: "https://hooks.example.com/…",
    });
    expect(JSON.stringify(event)).not.toMatch(/XXXXsecret|tier2/);
  });
});
