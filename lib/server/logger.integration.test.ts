import { afterEach, describe, expect, it } from "vitest";
import { GET as getKv, PUT as putKv } from "@/app/api/v1/kv/[namespace]/[key]/route";
import { GET as getPolicy } from "@/app/api/v1/policy/route";
import { generateKey } from "@/lib/core/keys";
import { agentRequest, seedAgent } from "@/tests/agent-fixtures";
import { captureLogs, logger, requestLogger } from "./logger";

const noParams = { params: Promise.resolve({}) };
let capture: ReturnType<typeof captureLogs> | undefined;
afterEach(() => capture?.restore());

describe("structured logs", () => {
  it("never contain an agent key: agent calls with a valid and an invalid key, and lines that try hard to leak one", async () => {
    const agent = await seedAgent();
    const stranger = generateKey().key;
    capture = captureLogs();

    expect((await getPolicy(agentRequest("/api/v1/policy", agent.key), noParams)).status).toBe(200);
    const put = agentRequest("/api/v1/kv/billing.runs/log-1", agent.key, {
      method: "PUT",
      body: JSON.stringify({ value: { note: "hello" } }),
    });
    expect((await putKv(put, noParams)).status).toBe(201);
    expect((await getPolicy(agentRequest("/api/v1/policy", stranger), noParams)).status).toBe(401);
    expect((await getKv(agentRequest("/api/v1/kv/billing.runs/log-1", `${stranger}x`), noParams)).status).toBe(401);

    // What a request logger might be handed by mistake: headers, the key as a field, inside an error, in the message.
    const log = requestLogger("req_test", "corr_test");
    for (const key of [agent.key, stranger]) {
      log.info({ req: { headers: { authorization: `Bearer ${key}` } } }, "request received");
      log.info({ headers: { authorization: `Bearer ${key}` }, key, apiKey: key, token: key }, "fields");
      log.warn({ err: new Error(`unknown API key ${key}`) }, "authentication failed");
      log.error({ context: { nested: { detail: `Authorization: Bearer ${key}` } } }, `rejected ${key}`);
      logger.info({ user: { password: "hunter2-hunter2", email: "a@b.c" } }, "sign-in");
    }

    const text = capture.text();
    expect(capture.lines.length).toBeGreaterThanOrEqual(10);
    for (const key of [agent.key, stranger]) {
      expect(text).not.toContain(key);
      expect(text).not.toContain(key.slice(4, 24)); // not even a chunk of the secret part
    }
    expect(text).not.toContain("hunter2");
    expect(text).toContain("[redacted]");
  });

  it("a request logger stamps every line with the request and correlation ids, as JSON", () => {
    capture = captureLogs();
    const log = requestLogger("req_abc", "corr_xyz");
    log.info("first");
    log.child({ step: "inner" }).warn({ n: 1 }, "second");
    const lines = capture.lines.map((l) => JSON.parse(l));
    expect(lines).toHaveLength(2);
    for (const line of lines) {
      expect(line).toMatchObject({ requestId: "req_abc", correlationId: "corr_xyz", service: "basekv" });
      expect(typeof line.time).toBe("string");
    }
    expect(lines.map((l) => l.level)).toEqual(["info", "warn"]);
  });
});
