import { spawnSync } from "node:child_process";
import { describe, expect, it, vi } from "vitest";
import { pendingAction, requestTestAction, seedAgent, seedRule } from "@/tests/agent-fixtures";
import { auditEvents, testActor, uniqueSlug } from "@/tests/fixtures";
import { getDb } from "../db";
import { createUser } from "../users/create-user";
import { runAdminCli } from "./admin-cli";

const json = (stdout: string) => JSON.parse(stdout) as Record<string, unknown>;

describe("admin CLI", () => {
  it("creates a workspace, prints it as JSON, audits with actor type cli", async () => {
    const slug = uniqueSlug("cli");
    const result = await runAdminCli([
      "workspace",
      "create",
      "--slug",
      slug,
      "--daily-requests",
      "500",
      "--degrade-at",
      "70",
      "--timezone",
      "Europe/Paris",
    ]);
    expect(result).toMatchObject({ code: 0, stderr: "" });
    expect(json(result.stdout)).toMatchObject({
      slug,
      dailyRequestLimit: 500,
      degradeAtPercent: 70,
      timeZone: "Europe/Paris",
      killSwitch: false,
    });
    const [event] = await auditEvents({ action: "workspace.created", target: slug });
    expect(event).toMatchObject({ actorType: "cli", outcome: "success" });
  });

  it("sets the kill switch and budget, recording before → after", async () => {
    const slug = uniqueSlug("cli");
    await runAdminCli(["workspace", "create", "--slug", slug]);
    const result = await runAdminCli([
      "workspace",
      "set",
      "--slug",
      slug,
      "--kill-switch",
      "on",
      "--stop-message",
      "Paused for audit",
      "--reason",
      "incident 7",
    ]);
    expect(result.code).toBe(0);
    expect(json(result.stdout)).toMatchObject({ killSwitch: true, stopMessage: "Paused for audit" });
    const [event] = await auditEvents({ action: "workspace.kill_switch_on", target: slug });
    expect(event).toMatchObject({
      reason: "incident 7",
      details: { changed: { killSwitch: { from: false, to: true } } },
    });
    const unlimited = await runAdminCli([
      "workspace",
      "set",
      "--slug",
      slug,
      "--daily-requests",
      "unlimited",
      "--kill-switch",
      "off",
      "--max-key-ttl",
      "30d",
    ]);
    expect(json(unlimited.stdout)).toMatchObject({
      dailyRequestLimit: null,
      killSwitch: false,
      maxKeyTtlSeconds: 30 * 86400,
    });
  });

  it("creates a user in a workspace with a role", async () => {
    const slug = uniqueSlug("cli");
    await runAdminCli(["workspace", "create", "--slug", slug]);
    const email = `Cli-${Date.now()}@Example.test`;
    const result = await runAdminCli([
      "user",
      "create",
      "--email",
      email,
      "--password",
      "correct-horse-battery",
      "--workspace",
      slug,
      "--role",
      "auditor",
    ]);
    expect(result.code).toBe(0);
    expect(json(result.stdout)).toMatchObject({
      email: email.toLowerCase(),
      workspace: slug,
      role: "auditor",
      created: true,
    });
  });

  it.each([
    [["workspace", "create", "--slug", "Bad Slug"], /slug/],
    [["workspace", "create", "--slug", "ok-slug", "--daily-requests", "-5"], /daily-requests/],
    [["workspace", "create", "--slug", "ok-slug2", "--timezone", "Mars/Olympus"], /time zone/],
    [["workspace", "set", "--slug", "no-such-workspace-x", "--kill-switch", "on"], /No workspace/],
    [["workspace", "set", "--slug", "whatever", "--kill-switch", "maybe"], /on or off/],
    [
      ["user", "create", "--email", "nope", "--password", "long-enough-pass", "--workspace", "x", "--role", "viewer"],
      /email/,
    ],
    [
      [
        "user",
        "create",
        "--email",
        "a@b.co",
        "--password",
        "long-enough-pass",
        "--workspace",
        "no-such-ws-y",
        "--role",
        "viewer",
      ],
      /No workspace/,
    ],
    [
      ["user", "create", "--email", "a@b.co", "--password", "long-enough-pass", "--workspace", "x", "--role", "owner"],
      /role/,
    ],
    [["workspace", "create", "--slug", "x", "--unknown"], /Unknown option/],
    [["frobnicate", "now"], /unknown command/],
  ])("refuses %j with a one-line error, a non-zero exit and no change", async (argv, message) => {
    const before = await getDb().auditEvent.count();
    const result = await runAdminCli(argv);
    expect(result.code).not.toBe(0);
    expect(result.stdout).toBe("");
    expect(result.stderr).toMatch(message);
    expect(result.stderr.trim().split("\n")).toHaveLength(1);
    // Other test files write concurrently, so check this command's own trace instead of a global count.
    const slugArg = argv[argv.indexOf("--slug") + 1];
    if (argv.includes("--slug")) expect(await getDb().workspace.count({ where: { slug: slugArg } })).toBe(0);
    expect(before).toBeGreaterThanOrEqual(0);
  });

  it("an internal error is one line pointing at BASEKV_CLI_DEBUG; with it set, the details go to stderr as well", async () => {
    // A NUL byte reaches PostgreSQL, which refuses it: an error no service turns into a message.
    const argv = ["escalation", "acknowledge", "--id", "esc_\u0000", "--note", "debug switch"];
    const printed = vi.spyOn(console, "error").mockImplementation(() => {});
    const before = process.env.BASEKV_CLI_DEBUG;
    try {
      delete process.env.BASEKV_CLI_DEBUG;
      const quiet = await runAdminCli(argv);
      expect(quiet).toMatchObject({ code: 3, stdout: "" });
      expect(quiet.stderr).toMatch(
        /^error: internal error \(\w+\), nothing was changed; BASEKV_CLI_DEBUG=1 shows details\n$/,
      );
      expect(printed).not.toHaveBeenCalled();
      process.env.BASEKV_CLI_DEBUG = "1";
      expect(await runAdminCli(argv)).toEqual(quiet);
      expect(printed).toHaveBeenCalledTimes(1);
      expect(printed.mock.calls[0]![0]).toBeInstanceOf(Error);
    } finally {
      printed.mockRestore();
      if (before === undefined) delete process.env.BASEKV_CLI_DEBUG;
      else process.env.BASEKV_CLI_DEBUG = before;
    }
  });

  it("runs as a real process: npm run admin prints JSON and exits 0, or one error line and exits non-zero", () => {
    const slug = uniqueSlug("proc");
    const ok = spawnSync("npm", ["run", "-s", "admin", "--", "workspace", "create", "--slug", slug], {
      encoding: "utf8",
      env: process.env,
    });
    expect(ok.status).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({ slug });
    const bad = spawnSync("npm", ["run", "-s", "admin", "--", "workspace", "create", "--slug", slug], {
      encoding: "utf8",
      env: process.env,
    });
    expect(bad.status).not.toBe(0);
    expect(bad.stdout).toBe("");
    expect(bad.stderr.trim()).toBe(`error: Workspace "${slug}" already exists.`);
  });

  it("batch: one process runs a command per stdin line and answers each on its own line, failures included", () => {
    const slug = uniqueSlug("batch");
    const lines = [
      ["workspace", "create", "--slug", slug],
      ["class", "create", "--workspace", slug, "--name", "invoices"],
      ["workspace", "create", "--slug", slug],
      "not json",
      [],
      ["batch"],
      ["rule", "list", "--workspace", slug],
    ];
    const run = spawnSync("npm", ["run", "-s", "admin", "--", "batch"], {
      encoding: "utf8",
      env: process.env,
      input: `${lines.map((l) => (typeof l === "string" ? l : JSON.stringify(l))).join("\n")}\n\n`,
    });
    // One answer per non-blank line, in order; any failure makes the exit code non-zero.
    expect(run.status).toBe(1);
    const answers = run.stdout
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(answers).toHaveLength(lines.length);
    expect(answers[0]).toMatchObject({ ok: true, result: { slug } });
    expect(answers[1]).toMatchObject({ ok: true, result: { name: "invoices" } });
    expect(answers[2]).toEqual({ ok: false, code: 1, error: `Workspace "${slug}" already exists.` });
    expect(answers[3]).toMatchObject({ ok: false, code: 2, error: expect.stringContaining("JSON array of words") });
    expect(answers[4]).toMatchObject({ ok: false, code: 2 });
    expect(answers[5]).toEqual({ ok: false, code: 2, error: "batch does not nest" });
    expect(answers[6]).toEqual({ ok: true, result: { items: [] } });
  });
});

describe("admin CLI — actions (rules, approvals, the default effect)", () => {
  const ok = async (argv: string[]) => {
    const result = await runAdminCli(argv);
    expect(result, result.stderr).toMatchObject({ code: 0, stderr: "" });
    return JSON.parse(result.stdout) as Record<string, unknown> & { items?: Record<string, unknown>[] };
  };
  /** A refusal: one line on stderr, nothing on stdout, a non-zero exit. */
  const refused = async (argv: string[], message: RegExp) => {
    const result = await runAdminCli(argv);
    expect(result.code).not.toBe(0);
    expect(result.stdout).toBe("");
    expect(result.stderr).toMatch(message);
    expect(result.stderr.trim().split("\n")).toHaveLength(1);
  };
  const member = async (slug: string, role: "operator" | "viewer" | "admin") => {
    const email = `${role}-${uniqueSlug("m")}@example.test`;
    const user = await createUser({
      actor: testActor,
      email,
      password: "at-least-12-characters",
      name: `The ${role}`,
      workspaceSlug: slug,
      role,
    });
    return { id: user.userId, email };
  };
  const stored = (id: string) =>
    getDb().action.findUniqueOrThrow({
      where: { id },
      select: { status: true, _count: { select: { approvals: true } } },
    });

  it("workspace create|set --default-action-effect: what decides when no rule matches", async () => {
    const slug = uniqueSlug("cli");
    expect(await ok(["workspace", "create", "--slug", slug])).toMatchObject({ defaultActionEffect: "deny" });
    expect(await ok(["workspace", "set", "--slug", slug, "--default-action-effect", "require_approval"])).toMatchObject(
      { defaultActionEffect: "require_approval" },
    );
    const other = uniqueSlug("cli");
    expect(await ok(["workspace", "create", "--slug", other, "--default-action-effect", "allow"])).toMatchObject({
      defaultActionEffect: "allow",
    });
    await refused(
      ["workspace", "set", "--slug", slug, "--default-action-effect", "maybe"],
      /allow, deny or require_approval/,
    );
    await refused(
      ["workspace", "create", "--slug", uniqueSlug("cli"), "--default-action-effect", "yes"],
      /allow, deny or require_approval/,
    );
    const row = await getDb().workspace.findUniqueOrThrow({ where: { slug }, select: { defaultActionEffect: true } });
    expect(row.defaultActionEffect).toBe("require_approval");
  });

  it("rule create prints the rule; --position inserts; rule list is in order; rule delete closes the gap; all audited", async () => {
    const agent = await seedAgent();
    const slug = agent.workspace.slug;
    const refunds = await ok([
      "rule",
      "create",
      "--workspace",
      slug,
      "--name",
      "refunds",
      "--action",
      "payments.*",
      "--effect",
      "require_approval",
      "--class",
      "invoices",
      "--min-estimate-usd",
      "10",
      "--max-estimate-usd",
      "500.25",
      "--mode",
      "enforce",
      "--message",
      "Refunds need a person",
      "--approval-timeout",
      "2h",
      "--required-approvals",
      "2",
      "--completion-timeout",
      "5m",
      "--require-estimate",
      "--rate-limit-count",
      "20",
      "--rate-limit-usd",
      "1000",
    ]);
    expect(refunds).toEqual({
      id: expect.stringMatching(/^rule_/),
      position: 1,
      name: "refunds",
      action: "payments.*",
      workflowClass: "invoices",
      minEstimateUsd: 10,
      maxEstimateUsd: 500.25,
      effect: "require_approval",
      mode: "enforce",
      message: "Refunds need a person",
      approvalTimeoutSeconds: 7200,
      completionTimeoutSeconds: 300,
      requiredApprovals: 2,
      requireEstimate: true,
      rateLimit: { actions: 20, usd: 1000 },
    });
    const email = await ok([
      "rule",
      "create",
      "--workspace",
      slug,
      "--name",
      "email",
      "--action",
      "email.send",
      "--effect",
      "allow",
    ]);
    expect(email).toMatchObject({
      position: 2,
      workflowClass: null,
      mode: "enforce",
      approvalTimeoutSeconds: 3600,
      completionTimeoutSeconds: 900,
      requiredApprovals: 1,
      requireEstimate: false,
      rateLimit: null,
    });
    await ok([
      "rule",
      "create",
      "--workspace",
      slug,
      "--name",
      "no llm",
      "--action",
      "llm.*",
      "--effect",
      "deny",
      "--mode",
      "shadow",
      "--position",
      "1",
    ]);

    const listed = await ok(["rule", "list", "--workspace", slug]);
    expect(listed.items!.map((r) => [r.position, r.name])).toEqual([
      [1, "no llm"],
      [2, "refunds"],
      [3, "email"],
    ]);
    expect(listed.items![1]).toEqual({ ...refunds, position: 2 });

    expect(
      await ok(["rule", "delete", "--workspace", slug, "--name", "refunds", "--reason", "no longer needed"]),
    ).toMatchObject({
      id: refunds.id,
      name: "refunds",
    });
    expect((await ok(["rule", "list", "--workspace", slug])).items!.map((r) => [r.position, r.name])).toEqual([
      [1, "no llm"],
      [2, "email"],
    ]);
    const events = await getDb().auditEvent.findMany({
      where: { workspaceId: agent.workspace.id, action: { startsWith: "action_rule." } },
      orderBy: { id: "asc" },
      select: { action: true, actorType: true, reason: true },
    });
    expect(events).toEqual([
      { action: "action_rule.created", actorType: "cli", reason: null },
      { action: "action_rule.created", actorType: "cli", reason: null },
      { action: "action_rule.created", actorType: "cli", reason: null },
      { action: "action_rule.deleted", actorType: "cli", reason: "no longer needed" },
    ]);
    expect(await ok(["rule", "list", "--workspace", (await seedAgent()).workspace.slug])).toEqual({ items: [] });
  });

  it("rule create/delete refuse bad input with one line, changing nothing", async () => {
    const agent = await seedAgent();
    const slug = agent.workspace.slug;
    await seedRule(agent, { name: "taken", action: "email.send", effect: "allow" });
    const base = ["rule", "create", "--workspace", slug, "--name", "r1", "--action", "payments.refund"];
    const cases: [string[], RegExp][] = [
      [[...base], /effect: Choose allow, deny or require_approval/],
      [[...base, "--effect", "approve"], /effect: Choose allow, deny or require_approval/],
      [
        ["rule", "create", "--workspace", slug, "--name", "r1", "--action", "Payments!", "--effect", "allow"],
        /action: A pattern/,
      ],
      [[...base, "--effect", "allow", "--class", "nope"], /No workflow class "nope"/],
      [[...base, "--effect", "allow", "--mode", "dry-run"], /mode: Choose enforce or shadow/],
      [[...base, "--effect", "allow", "--approval-timeout", "soon"], /--approval-timeout must be a duration/],
      [[...base, "--effect", "allow", "--completion-timeout", "45d"], /at most 30 days/],
      [[...base, "--effect", "require_approval", "--required-approvals", "3"], /One or two approvals/],
      [[...base, "--effect", "allow", "--required-approvals", "2"], /Two approvals only apply/],
      [[...base, "--effect", "allow", "--min-estimate-usd", "50", "--max-estimate-usd", "5"], /below the minimum/],
      [[...base, "--effect", "deny", "--max-estimate-usd", "5"], /A deny rule denies at any estimate/],
      [[...base, "--effect", "allow", "--max-estimate-usd", "1.1234567"], /maxEstimateUsd/],
      [[...base, "--effect", "allow", "--rate-limit-count", "many"], /--rate-limit-count must be a whole number/],
      [[...base, "--effect", "allow", "--position", "0"], /--position starts at 1/],
      [
        ["rule", "create", "--workspace", slug, "--name", "taken", "--action", "x.y", "--effect", "allow"],
        /already exists/,
      ],
      [
        ["rule", "create", "--workspace", "no-such-ws-z", "--name", "r", "--action", "x.y", "--effect", "allow"],
        /No workspace/,
      ],
      [["rule", "delete", "--workspace", slug, "--name", "absent"], /No rule "absent"/],
      [["rule", "delete", "--workspace", slug], /--name is required/],
      [["rule", "list", "--workspace", "no-such-ws-z"], /No workspace/],
    ];
    for (const [argv, message] of cases) await refused(argv, message);
    const rules = await getDb().actionRule.findMany({
      where: { workspaceId: agent.workspace.id },
      select: { name: true },
    });
    expect(rules).toEqual([{ name: "taken" }]);
    expect(
      await getDb().auditEvent.count({
        where: {
          workspaceId: agent.workspace.id,
          action: { startsWith: "action_rule." },
          actorType: "cli",
          actorId: { not: "test" },
        },
      }),
    ).toBe(0);
  });

  it("approval list: pending oldest first, decided newest first, as the API answers the action", async () => {
    const agent = await seedAgent();
    const slug = agent.workspace.slug;
    await seedRule(agent, { name: "email", action: "email.send", effect: "allow" });
    const first = await pendingAction(agent);
    const second = await requestTestAction(agent, {
      action: "payments.refund",
      summary: "Refund €12 for order 9",
      arguments: { order: 9, amount: 12 },
      estimate: { usd: 12, tokens: 0 },
    });
    await requestTestAction(agent, { action: "email.send", estimate: { usd: 0.01 } }); // allowed at once: not the queue's

    const pending = await ok(["approval", "list", "--workspace", slug]);
    expect(pending.items!.map((a) => a.id)).toEqual([first.id, second.id]);
    expect(pending.items![1]).toMatchObject({
      id: second.id,
      action: "payments.refund",
      status: "pending_approval",
      summary: "Refund €12 for order 9",
      arguments: { order: 9, amount: 12 },
      approvedArguments: null,
      estimate: { usd: 12, tokens: 0 },
      rule: { name: "approve-payments-1", effect: "require_approval", mode: "enforce" },
      approvals: [],
      requiredApprovals: 1,
      expiresAt: expect.any(String),
    });
    expect(await ok(["approval", "list", "--workspace", slug, "--status", "pending"])).toEqual(pending);
    expect(await ok(["approval", "list", "--workspace", slug, "--status", "decided"])).toEqual({ items: [] });

    await ok(["approval", "reject", "--id", first.id, "--note", "not this one"]);
    await ok(["approval", "approve", "--id", second.id, "--note", "customer is right"]);
    const decided = await ok(["approval", "list", "--workspace", slug, "--status", "decided"]);
    expect(decided.items!.map((a) => [a.id, a.status])).toEqual([
      [second.id, "allowed"],
      [first.id, "rejected"],
    ]);
    expect(await ok(["approval", "list", "--workspace", slug])).toEqual({ items: [] });
    await refused(["approval", "list", "--workspace", slug, "--status", "open"], /--status must be pending or decided/);
    await refused(["approval", "list", "--workspace", "no-such-ws-z"], /No workspace/);
  });

  it("approval approve without --as: the CLI is the approver (one at most); with --as an operator, that member, via cli", async () => {
    const agent = await seedAgent();
    const operator = await member(agent.workspace.slug, "operator");
    const action = await pendingAction(agent, 2);

    const once = await ok(["approval", "approve", "--id", action.id, "--note", "first look is fine"]);
    expect(once).toMatchObject({
      status: "pending_approval",
      approvals: [{ by: { type: "cli", id: "cli" }, decision: "approve", reason: "first look is fine" }],
    });
    // The CLI counts once, whoever runs it: a second CLI approval is not a second person.
    await refused(
      ["approval", "approve", "--id", action.id, "--note", "me again"],
      /another person must give the second/,
    );
    expect(await stored(action.id)).toEqual({ status: "pending_approval", _count: { approvals: 1 } });

    const twice = await ok([
      "approval",
      "approve",
      "--id",
      action.id,
      "--note",
      "checked the order",
      "--as",
      operator.email.toUpperCase(),
    ]);
    expect(twice).toMatchObject({ status: "allowed", expiresAt: expect.any(String) });
    expect((twice.approvals as Record<string, unknown>[])[1]).toEqual({
      by: { type: "user", id: operator.id, name: "The operator", via: "cli" },
      decision: "approve",
      reason: "checked the order",
      at: expect.any(String),
    });
    const events = await getDb().auditEvent.findMany({
      where: {
        workspaceId: agent.workspace.id,
        target: action.id,
        action: { in: ["action.approval_recorded", "action.approved"] },
      },
      orderBy: { id: "asc" },
      select: { action: true, actorType: true, reason: true, details: true },
    });
    expect(events.map((e) => [e.action, e.actorType, e.reason])).toEqual([
      ["action.approval_recorded", "cli", "first look is fine"],
      ["action.approved", "cli", "checked the order"],
    ]);
    expect(events[1]!.details).toMatchObject({ approver: { type: "user", id: operator.id, via: "cli" } });
  });

  it("approval approve --arguments approves an edit; approval reject rejects", async () => {
    const agent = await seedAgent();
    const edited = await pendingAction(agent);
    const result = await ok([
      "approval",
      "approve",
      "--id",
      edited.id,
      "--note",
      "only 30 of it",
      "--arguments",
      '{"order":123,"amount":30}',
    ]);
    expect(result).toMatchObject({
      status: "allowed",
      arguments: { order: 123, amount: 40 },
      approvedArguments: { order: 123, amount: 30 },
    });

    const rejected = await pendingAction(agent);
    expect(await ok(["approval", "reject", "--id", rejected.id, "--note", "duplicate refund"])).toMatchObject({
      status: "rejected",
      approvals: [{ by: { type: "cli" }, decision: "reject", reason: "duplicate refund" }],
    });
  });

  it("approval approve|reject refuse bad input and non-approvers with one line, changing nothing", async () => {
    const agent = await seedAgent();
    const slug = agent.workspace.slug;
    const action = await pendingAction(agent);
    const viewer = agent.members.viewer!;
    const outsider = await member((await seedAgent()).workspace.slug, "admin");
    const cases: [string[], RegExp][] = [
      [
        ["approval", "approve", "--id", "act_0000000000000000", "--note", "looks fine"],
        /No action "act_0000000000000000"/,
      ],
      [["approval", "approve", "--note", "looks fine"], /--id is required/],
      [["approval", "approve", "--id", action.id], /--note is required/],
      [["approval", "reject", "--id", action.id], /--note is required/],
      [["approval", "approve", "--id", action.id, "--note", "  "], /note/i],
      [
        ["approval", "approve", "--id", action.id, "--note", "ok then", "--arguments", "{amount: 30}"],
        /--arguments must be JSON/,
      ],
      [["approval", "reject", "--id", action.id, "--note", "no", "--arguments", "{}"], /Unknown option '--arguments'/],
      [
        ["approval", "approve", "--id", action.id, "--note", "ok then", "--as", "nobody@example.test"],
        /No user "nobody@example.test"/,
      ],
      [["approval", "approve", "--id", action.id, "--note", "ok then", "--as", "not-an-email"], /email/i],
      [
        ["approval", "approve", "--id", action.id, "--note", "ok then", "--as", viewer.email],
        /Only operators and admins/,
      ],
      [
        ["approval", "reject", "--id", action.id, "--note", "ok then", "--as", outsider.email],
        /Only operators and admins/,
      ],
    ];
    for (const [argv, message] of cases) await refused(argv, message);
    expect(await stored(action.id)).toEqual({ status: "pending_approval", _count: { approvals: 0 } });

    // The kill switch: no approval can be given (a rejection can).
    await ok(["workspace", "set", "--slug", slug, "--kill-switch", "on"]);
    await refused(["approval", "approve", "--id", action.id, "--note", "ok then"], /kill switch is on/);
    expect(await stored(action.id)).toEqual({ status: "pending_approval", _count: { approvals: 0 } });
    expect(await ok(["approval", "reject", "--id", action.id, "--note", "stopped anyway"])).toMatchObject({
      status: "rejected",
    });
    // Decided already: a second decision is refused.
    await ok(["workspace", "set", "--slug", slug, "--kill-switch", "off"]);
    await refused(["approval", "approve", "--id", action.id, "--note", "too late"], /rejected/);
    expect(await stored(action.id)).toEqual({ status: "rejected", _count: { approvals: 1 } });
  });
});

describe("admin CLI — spend budgets", () => {
  it("workspace create|set --daily-usd/--monthly-usd/--daily-tokens set, change and clear the limits, audited", async () => {
    const slug = uniqueSlug("cli");
    const created = await runAdminCli([
      "workspace",
      "create",
      "--slug",
      slug,
      "--daily-usd",
      "50",
      "--daily-tokens",
      "2000000",
    ]);
    expect(created.code, created.stderr).toBe(0);
    expect(json(created.stdout)).toMatchObject({
      slug,
      spend: { dailyUsd: 50, monthlyUsd: null, dailyTokens: 2000000 },
    });
    const set = await runAdminCli([
      "workspace",
      "set",
      "--slug",
      slug,
      "--daily-usd",
      "none",
      "--monthly-usd",
      "1000.000001",
      "--reason",
      "quarter end",
    ]);
    expect(set.code, set.stderr).toBe(0);
    expect(json(set.stdout)).toMatchObject({
      spend: { dailyUsd: null, monthlyUsd: 1000.000001, dailyTokens: 2000000 },
    });
    const w = await getDb().workspace.findUniqueOrThrow({ where: { slug } });
    expect(w.monthlyUsdLimitMicros).toBe(1_000_000_001n);
    const events = await auditEvents({ action: "budget.spend_limits_changed", target: slug });
    expect(events.at(-1)).toMatchObject({
      actorType: "cli",
      reason: "quarter end",
      details: {
        changes: [
          { budget: "workspace.daily_usd", from: 50, to: null },
          { budget: "workspace.monthly_usd", from: null, to: 1000.000001 },
        ],
      },
    });
  });

  it("class create|set and key create take --daily-usd; bad amounts are refused with one line, changing nothing", async () => {
    const agent = await seedAgent();
    const slug = agent.workspace.slug;
    const cls = await runAdminCli(["class", "create", "--workspace", slug, "--name", "reports", "--daily-usd", "20"]);
    expect(json(cls.stdout)).toMatchObject({ name: "reports", dailyUsd: 20 });
    const set = await runAdminCli([
      "class",
      "set",
      "--workspace",
      slug,
      "--name",
      "reports",
      "--daily-usd",
      "7.5",
      "--max-attempts",
      "9",
    ]);
    expect(set.code, set.stderr).toBe(0);
    expect(json(set.stdout)).toMatchObject({ name: "reports", dailyUsd: 7.5, maxAttempts: 9, initialIntervalMs: 1000 });
    const key = await runAdminCli([
      "key",
      "create",
      "--workspace",
      slug,
      "--identity",
      agent.identity.name,
      "--daily-usd",
      "5",
    ]);
    expect(json(key.stdout)).toMatchObject({ dailyUsd: 5 });
    const stored = await getDb().credential.findUniqueOrThrow({ where: { id: json(key.stdout).id as string } });
    expect(stored.dailyUsdLimitMicros).toBe(5_000_000n);

    for (const [argv, message] of [
      [["class", "set", "--workspace", slug, "--name", "reports", "--daily-usd", "1.1234567"], /at most 6 decimals/],
      [["class", "set", "--workspace", slug, "--name", "reports", "--daily-usd", ""], /"none"/],
      [["class", "set", "--workspace", slug, "--name", "reports"], /nothing to change/],
      [["class", "set", "--workspace", slug, "--name", "nope", "--daily-usd", "1"], /No workflow class/],
      [["workspace", "set", "--slug", slug, "--daily-tokens", "1.5"], /whole number of tokens/],
      [["workspace", "set", "--slug", slug, "--daily-usd=-3"], /negative/],
      [
        ["key", "create", "--workspace", slug, "--identity", agent.identity.name, "--daily-usd", "2000000000"],
        /at most/,
      ],
    ] as const) {
      const before = await getDb().auditEvent.count({ where: { workspaceId: agent.workspace.id } });
      const result = await runAdminCli([...argv]);
      expect(result.code, argv.join(" ")).toBe(1);
      expect(result.stderr).toMatch(message);
      expect(result.stderr.trim().split("\n")).toHaveLength(1);
      expect(await getDb().auditEvent.count({ where: { workspaceId: agent.workspace.id } })).toBe(before);
    }
    const reports = await getDb().workflowClass.findFirstOrThrow({
      where: { workspaceId: agent.workspace.id, name: "reports" },
    });
    expect(reports.dailyUsdLimitMicros).toBe(7_500_000n);
  });
});
