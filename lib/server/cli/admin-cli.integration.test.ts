import { spawnSync } from "node:child_process";
import { describe, expect, it, vi } from "vitest";
import { auditEvents, uniqueSlug } from "@/tests/fixtures";
import { getDb } from "../db";
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
});
