import { describe, expect, it } from "vitest";
import { decideOnAction } from "@/lib/server/actions/decide-approval";
import { setSpendLimits } from "@/lib/server/budgets/spend-limits";
import { getDb } from "@/lib/server/db";
import { BaseKV, BaseKVError, guard, isBaseKVError, StepError, type Action, type FetchLike } from "@/sdk";
import { seedAgent, seedRule } from "@/tests/agent-fixtures";
import { testActor } from "@/tests/fixtures";
import { routeFetch } from "@/tests/sdk-server";

type Agent = Awaited<ReturnType<typeof seedAgent>>;

/** A client on the real route handlers that records every request. */
function harness(key: string, wrap?: (next: FetchLike) => FetchLike) {
  const requests: { method: string; url: string; headers: Headers; body: unknown }[] = [];
  const recording: FetchLike = (input, init) => {
    requests.push({
      method: init.method ?? "GET",
      url: input.replace("http://localhost/api/v1", ""),
      headers: new Headers(init.headers),
      body: typeof init.body === "string" ? JSON.parse(init.body) : undefined,
    });
    return routeFetch(input, init);
  };
  const client = new BaseKV({
    baseUrl: "http://localhost",
    apiKey: key,
    fetch: wrap ? wrap(recording) : recording,
    sleep: async () => {},
  });
  return { client, requests };
}

/** Performs the request — the server commits it — then loses the response, as a dropped connection would. */
function dropFirstResponse(match: (url: string, method: string) => boolean): (next: FetchLike) => FetchLike {
  let dropped = false;
  return (next) => async (input, init) => {
    const response = await next(input, init);
    if (!dropped && match(input, init.method ?? "GET")) {
      dropped = true;
      await response.text();
      throw new TypeError("fetch failed: socket hang up (dropped by the test)");
    }
    return response;
  };
}

async function caught(promise: Promise<unknown>): Promise<BaseKVError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof BaseKVError) return error;
    throw error;
  }
  throw new Error("expected a BaseKVError");
}

const stored = (id: string) =>
  getDb().action.findUniqueOrThrow({
    where: { id },
    select: { status: true, actualMicros: true, actualTokens: true, result: true, error: true },
  });
const actionsOf = (agent: Agent) =>
  getDb().action.findMany({ where: { identityId: agent.identity.id }, select: { id: true, status: true } });

/** An admin of the agent's workspace decides, through the dashboard's service. */
function decide(agent: Agent, action: Action, choice: Parameters<typeof decideOnAction>[0]["choice"]) {
  const admin = agent.members.admin!;
  return decideOnAction({
    workspaceId: agent.workspace.id,
    actionId: action.id,
    approver: { type: "user", userId: admin.id, name: "Ann Admin" },
    choice,
    actor: { type: "user", id: admin.id, name: admin.email },
  });
}

async function withRules(agent: Agent) {
  await seedRule(agent, { name: "email", action: "email.send", effect: "allow" });
  await seedRule(agent, { name: "refunds", action: "payments.*", effect: "require_approval" });
}

describe("SDK actions — request, get, wait, complete, cancel", () => {
  it("answers the action as the API does; wait returns still pending after its timeout; cancel releases it", async () => {
    const agent = await seedAgent();
    await withRules(agent);
    const { client, requests } = harness(agent.key);

    const allowed = await client.actions.request({ action: "email.send", estimate: { usd: 0.01 } });
    expect(allowed).toMatchObject({ status: "allowed", rule: { name: "email" }, estimate: { usd: 0.01 } });
    expect(allowed.$meta.status).toBe(201);
    const done = await client.actions.complete(allowed.id, { outcome: "succeeded", actual: { usd: 0.008 } });
    expect(done).toMatchObject({ status: "succeeded", actual: { usd: 0.008 } });
    expect((await client.actions.get(allowed.id)).status).toBe("succeeded");

    const pending = await client.actions.request({ action: "payments.refund", estimate: { usd: 40 } });
    expect(pending.$meta.status).toBe(202);
    const started = Date.now();
    const still = await client.actions.wait(pending.id, { timeoutSeconds: 1 });
    expect(still.status).toBe("pending_approval");
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect(requests.at(-1)!.url).toBe(`/actions/${pending.id}?wait=1`);
    expect(await client.actions.cancel(pending.id)).toMatchObject({ status: "cancelled" });
    const refused = await caught(client.actions.complete(pending.id, { outcome: "succeeded" }));
    expect(refused).toMatchObject({ code: "invalid_transition", status: 409, details: { from: "cancelled" } });
  });

  it("wait answers as soon as people decide", async () => {
    const agent = await seedAgent();
    await withRules(agent);
    const { client } = harness(agent.key);
    const pending = await client.actions.request({ action: "payments.refund", arguments: { order: 1 } });
    const waiting = client.actions.wait(pending.id, { timeoutSeconds: 20 });
    const started = Date.now();
    await new Promise((r) => setTimeout(r, 200));
    await decide(agent, pending, { decision: "approve", reason: "fine by me" });
    expect(await waiting).toMatchObject({ status: "allowed", approvals: [{ decision: "approve" }] });
    expect(Date.now() - started).toBeLessThan(10_000);
  });
});

describe("SDK guard", () => {
  it("allowed: runs the function once with the arguments, completes succeeded with its result and actual", async () => {
    const agent = await seedAgent();
    await withRules(agent);
    const { client, requests } = harness(agent.key);
    const calls: unknown[] = [];
    const { action, result } = await guard(
      client,
      "email.send",
      {
        estimate: { usd: 0.002, tokens: 0 },
        arguments: { to: "billing@example.com" },
        summary: "Send the report",
        idempotencyKey: "send-report-1",
      },
      async (args) => {
        calls.push(args);
        return { result: { messageId: "m-1" }, actual: { usd: 0.0015 } };
      },
    );
    expect(calls).toEqual([{ to: "billing@example.com" }]);
    expect(result).toEqual({ messageId: "m-1" });
    expect(action).toMatchObject({ status: "succeeded", actual: { usd: 0.0015 }, result: { messageId: "m-1" } });
    expect(await stored(action.id)).toMatchObject({ status: "succeeded", actualMicros: 1500n });
    expect(requests.map((r) => [r.method, r.url, r.headers.get("Idempotency-Key")])).toEqual([
      ["POST", "/actions", "send-report-1"],
      ["POST", `/actions/${action.id}/complete`, "send-report-1:complete"],
    ]);
  });

  it("pending → approved with edited arguments: waits, then runs with the approved ones", async () => {
    const agent = await seedAgent();
    await withRules(agent);
    const { client, requests } = harness(agent.key);
    const pendingSeen: Action[] = [];
    const calls: unknown[] = [];
    const { action } = await client.actions.guard(
      "payments.refund",
      {
        estimate: { usd: 40 },
        arguments: { order: 123, amount: 40 },
        summary: "Refund €40 for order 123",
        timeoutSeconds: 20,
        onPending: async (a) => {
          pendingSeen.push(a);
          // People decide while the SDK waits.
          setTimeout(
            () =>
              void decide(agent, a, {
                decision: "approve",
                reason: "refund 30 only",
                editedArguments: { order: 123, amount: 30 },
              }),
            100,
          );
        },
      },
      (args) => {
        calls.push(args);
      },
    );
    expect(pendingSeen.map((a) => a.status)).toEqual(["pending_approval"]);
    expect(calls).toEqual([{ order: 123, amount: 30 }]);
    expect(action).toMatchObject({ status: "succeeded", approvedArguments: { order: 123, amount: 30 } });
    expect(requests.some((r) => r.url.startsWith(`/actions/${action.id}?wait=`))).toBe(true);
  });

  it("rejected: throws action_rejected with the reason, never runs the function", async () => {
    const agent = await seedAgent();
    await withRules(agent);
    const { client } = harness(agent.key);
    let ran = false;
    const error = await caught(
      guard(
        client,
        "payments.refund",
        {
          estimate: { usd: 40 },
          timeoutSeconds: 20,
          onPending: (a) => void decide(agent, a, { decision: "reject", reason: "duplicate refund" }),
        },
        () => {
          ran = true;
        },
      ),
    );
    expect(ran).toBe(false);
    expect(error).toMatchObject({ code: "action_rejected", status: 0, details: { status: "rejected" } });
    expect(error.message).toContain('by Ann Admin: "duplicate refund"');
    expect(isBaseKVError(error, "action_rejected")).toBe(true);
  });

  it("no decision within timeoutSeconds: cancels the action and throws approval_timeout", async () => {
    const agent = await seedAgent();
    await withRules(agent);
    const { client, requests } = harness(agent.key);
    let ran = false;
    const error = await caught(
      guard(client, "payments.refund", { estimate: { usd: 40 }, timeoutSeconds: 1, idempotencyKey: "refund-9" }, () => {
        ran = true;
      }),
    );
    expect(ran).toBe(false);
    expect(error).toMatchObject({ code: "approval_timeout", details: { status: "cancelled" } });
    const id = error.details.actionId as string;
    expect((await stored(id)).status).toBe("cancelled");
    expect(requests.at(-1)).toMatchObject({ method: "POST", url: `/actions/${id}/cancel` });
    expect(requests.at(-1)!.headers.get("Idempotency-Key")).toBe("refund-9:cancel");
  });

  it("a decision that lands as the wait ends: a rejection is reported as such; an approval is still cancelled (the timeout holds)", async () => {
    const agent = await seedAgent();
    await withRules(agent);
    /** A client whose cancel reaches the server just after people decided. */
    const decidingBeforeCancel = (choice: Parameters<typeof decide>[2]) =>
      harness(agent.key, (next) => async (input, init) => {
        const match = /\/actions\/(act_[0-9a-z]+)\/cancel$/.exec(input);
        if (match) await decide(agent, { id: match[1] } as Action, choice).catch(() => {});
        return next(input, init);
      }).client;
    let ran = 0;
    const rejected = await caught(
      guard(
        decidingBeforeCancel({ decision: "reject", reason: "not now" }),
        "payments.refund",
        { estimate: { usd: 5 }, timeoutSeconds: 1 },
        () => {
          ran++;
        },
      ),
    );
    expect(rejected).toMatchObject({ code: "action_rejected", details: { status: "rejected" } });

    const approved = await caught(
      guard(
        decidingBeforeCancel({ decision: "approve", reason: "just too late" }),
        "payments.refund",
        { estimate: { usd: 5 }, timeoutSeconds: 1 },
        () => {
          ran++;
        },
      ),
    );
    // Allowed a moment before the cancel: cancelled all the same (an allowed action may be), its reservation released.
    expect(approved).toMatchObject({ code: "approval_timeout", details: { status: "cancelled" } });
    expect(ran).toBe(0);
  });

  it("the function throws: completes failed with its error and rethrows it", async () => {
    const agent = await seedAgent();
    await withRules(agent);
    const { client } = harness(agent.key);
    const thrown = new StepError("upstream_unavailable", "the mail server answered 503");
    let id = "";
    await expect(
      guard(client, "email.send", { estimate: { usd: 0.01 } }, (_args, action) => {
        id = action.id;
        throw thrown;
      }),
    ).rejects.toBe(thrown);
    expect(await stored(id)).toMatchObject({
      status: "failed",
      error: { type: "upstream_unavailable", message: "the mail server answered 503" },
    });
  });

  it("denied (no rule: the workspace's default): throws the API's action_denied, never runs the function", async () => {
    const agent = await seedAgent();
    const { client } = harness(agent.key);
    let ran = false;
    const error = await caught(
      guard(client, "payments.refund", { estimate: { usd: 1 } }, () => {
        ran = true;
      }),
    );
    expect(ran).toBe(false);
    expect(error).toMatchObject({ code: "action_denied", status: 403, details: { actionId: expect.any(String) } });
  });

  it("a request whose response is dropped is retried with the same key: one action, the function runs once", async () => {
    const agent = await seedAgent();
    await withRules(agent);
    const { client, requests } = harness(
      agent.key,
      dropFirstResponse((url, method) => method === "POST" && url.endsWith("/api/v1/actions")),
    );
    let ran = 0;
    const { action } = await guard(client, "email.send", { estimate: { usd: 0.01 } }, () => {
      ran++;
    });
    expect(ran).toBe(1);
    const posts = requests.filter((r) => r.method === "POST" && r.url === "/actions");
    expect(posts).toHaveLength(2);
    expect(posts[1]!.headers.get("Idempotency-Key")).toBe(posts[0]!.headers.get("Idempotency-Key"));
    expect(await actionsOf(agent)).toEqual([{ id: action.id, status: "succeeded" }]);
  });

  it("a completion whose response is dropped is retried with the same key: completed once", async () => {
    const agent = await seedAgent();
    await withRules(agent);
    const { client, requests } = harness(
      agent.key,
      dropFirstResponse((url) => url.endsWith("/complete")),
    );
    const { action } = await guard(client, "email.send", { estimate: { usd: 0.01 } }, () => ({
      actual: { usd: 0.02 },
    }));
    expect(action).toMatchObject({ status: "succeeded", overrun: true });
    expect(action.$meta.replayed).toBe(true);
    const completes = requests.filter((r) => r.url.endsWith("/complete"));
    expect(completes.map((r) => r.headers.get("Idempotency-Key"))).toEqual([
      `${requests[0]!.headers.get("Idempotency-Key")}:complete`,
      `${requests[0]!.headers.get("Idempotency-Key")}:complete`,
    ]);
    expect(await getDb().auditEvent.count({ where: { target: action.id, action: "action.succeeded" } })).toBe(1);
  });

  it("the same logical call again (same idempotencyKey) after it finished: action_settled, nothing runs twice", async () => {
    const agent = await seedAgent();
    await withRules(agent);
    const { client } = harness(agent.key);
    let ran = 0;
    const options = { estimate: { usd: 0.01 }, idempotencyKey: "nightly-email-2026-12-01" };
    await guard(client, "email.send", options, () => {
      ran++;
    });
    const again = await caught(
      guard(client, "email.send", options, () => {
        ran++;
      }),
    );
    expect(again).toMatchObject({ code: "action_settled", details: { status: "succeeded" } });
    expect(ran).toBe(1);
    expect(await actionsOf(agent)).toHaveLength(1);
  });

  it("the actual option: the cost computed from the function's result is what the action is settled at (USD rounded to 6 decimals)", async () => {
    const agent = await seedAgent();
    await seedRule(agent, { name: "models", action: "llm.*", effect: "allow" });
    const { client, requests } = harness(agent.key);
    // $2.50 per million prompt tokens, $10 per million completion tokens: 1,200 × 2.5e-6 + 345 × 1e-5
    // is 0.00645 in decimals and 0.006450000000000001 in floats — sent rounded to the micro-dollar.
    const usage = { prompt_tokens: 1200, completion_tokens: 345, total_tokens: 1545 };
    // The estimate: the prompt and max_tokens (1,024) at those prices — 0.013240000000000002 in floats.
    const { action, result } = await guard(
      client,
      "llm.openai.chat",
      {
        estimate: { usd: 1200 * 2.5e-6 + 1024 * 1e-5, tokens: 1200 + 1024 },
        actual: (r) =>
          r && {
            tokens: r.usage.total_tokens,
            usd: r.usage.prompt_tokens * 2.5e-6 + r.usage.completion_tokens * 1e-5,
          },
      },
      async () => ({ result: { text: "Hello", usage } }),
    );
    expect(usage.prompt_tokens * 2.5e-6 + usage.completion_tokens * 1e-5).not.toBe(0.00645);
    expect(result).toEqual({ text: "Hello", usage });
    expect(requests[0]!.body).toMatchObject({ estimate: { usd: 0.01324, tokens: 2224 } });
    expect(requests.at(-1)!.body).toMatchObject({ outcome: "succeeded", actual: { usd: 0.00645, tokens: 1545 } });
    expect(action).toMatchObject({ status: "succeeded", actual: { usd: 0.00645, tokens: 1545 }, overrun: false });
    expect(await stored(action.id)).toMatchObject({ actualMicros: 6450n, actualTokens: 1545n });
  });

  it("the actual option answering nothing settles at the estimate; the function's own actual comes first", async () => {
    const agent = await seedAgent();
    await seedRule(agent, { name: "models", action: "llm.*", effect: "allow" });
    const { client, requests } = harness(agent.key);
    const none = await guard(
      client,
      "llm.openai.chat",
      { estimate: { usd: 0.01, tokens: 2000 }, actual: () => undefined },
      () => ({ result: { text: "no usage reported" } }),
    );
    expect(requests.at(-1)!.body).toEqual({ outcome: "succeeded", result: { text: "no usage reported" } });
    expect(await stored(none.action.id)).toMatchObject({ actualMicros: 10_000n, actualTokens: 2000n });

    const own = await guard(
      client,
      "llm.openai.chat",
      { estimate: { usd: 0.01, tokens: 2000 }, actual: () => ({ usd: 0.009, tokens: 1900 }) },
      () => ({ result: { text: "measured" }, actual: { usd: 0.004, tokens: 800 } }),
    );
    expect(await stored(own.action.id)).toMatchObject({ actualMicros: 4000n, actualTokens: 800n });
  });

  it("an actual option that throws: the action is still completed (at its estimate), then guard throws", async () => {
    const agent = await seedAgent();
    await seedRule(agent, { name: "models", action: "llm.*", effect: "allow" });
    const { client } = harness(agent.key);
    let id = "";
    const error = await guard(
      client,
      "llm.openai.chat",
      {
        estimate: { usd: 0.01 },
        actual: () => {
          throw new Error("the reply has no usage");
        },
      },
      (_args, action) => {
        id = action.id;
        return { result: { text: "no usage" } };
      },
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TypeError);
    expect((error as TypeError).message).toContain("the reply has no usage; it was settled at its estimate");
    expect(await stored(id)).toMatchObject({ status: "succeeded", actualMicros: 10_000n });
  });

  it("an estimate that does not fit a spend budget: spend_budget_exhausted before the function runs, nothing reserved", async () => {
    const agent = await seedAgent();
    await seedRule(agent, { name: "models", action: "llm.*", effect: "allow" });
    await setSpendLimits({
      workspaceId: agent.workspace.id,
      actor: testActor,
      changes: [{ budget: "credential.daily_usd", credentialId: agent.credential.id, limit: 10_000n }], // $0.01
    });
    const { client, requests } = harness(agent.key);
    let ran = false;
    const error = await caught(
      guard(client, "llm.openai.chat", { estimate: { usd: 0.05, tokens: 2000 } }, () => {
        ran = true;
      }),
    );
    expect(ran).toBe(false);
    expect(error).toMatchObject({
      code: "spend_budget_exhausted",
      status: 429,
      details: { budget: "credential.daily_usd", remaining: 0.01, resetAt: expect.any(String) },
      isBudgetError: true,
    });
    if (!isBaseKVError(error, "spend_budget_exhausted")) throw error;
    expect(Date.parse(error.details.resetAt)).toBeGreaterThan(Date.now());
    expect(error.retryAfter).toBeGreaterThan(0);
    // Refused once, not retried, and nothing kept or reserved.
    expect(requests.map((r) => [r.method, r.url])).toEqual([["POST", "/actions"]]);
    expect(await actionsOf(agent)).toEqual([]);

    // What fits still runs: $0.01 is the whole budget.
    const { action } = await guard(client, "llm.openai.chat", { estimate: { usd: 0.01 } }, () => {
      ran = true;
    });
    expect(ran).toBe(true);
    expect(action.status).toBe("succeeded");
  });
});
