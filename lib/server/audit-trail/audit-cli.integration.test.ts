import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { parseCsv, type ExportRow } from "@/lib/core/audit-export";
import { seedWorkspace, testActor } from "@/tests/fixtures";
import { writeAudit } from "../audit";
import { runAdminCli } from "../cli/admin-cli";
import { getDb } from "../db";

async function seeded() {
  const { workspace } = await seedWorkspace(["admin"]);
  for (const reason of ["plain", "with, comma", 'with "quotes"', "two\nlines"]) {
    await writeAudit(getDb(), { workspaceId: workspace.id, actor: testActor, action: "test.cli", reason });
  }
  return workspace;
}

describe("admin CLI: audit", () => {
  it("verifies a workspace's chain: { ok: true, events: N }", async () => {
    const workspace = await seeded();
    let result = await runAdminCli(["audit", "verify", "--workspace", workspace.slug]);
    for (let i = 0; JSON.parse(result.stdout).pending && i < 50; i++) {
      await new Promise((r) => setTimeout(r, 100)); // another test's open transaction holds the frontier
      result = await runAdminCli(["audit", "verify", "--workspace", workspace.slug]);
    }
    expect(result).toMatchObject({ code: 0, stderr: "" });
    const events = await getDb().auditEvent.count({ where: { workspaceId: workspace.id } });
    expect(JSON.parse(result.stdout)).toMatchObject({ ok: true, events });
  });

  it("exports NDJSON and CSV to stdout, filtered by time, and audits the export", async () => {
    const workspace = await seeded();
    const ndjson = await runAdminCli(["audit", "export", "--workspace", workspace.slug, "--action", "test.cli"]);
    expect(ndjson.code).toBe(0);
    const rows = ndjson.stdout
      .trimEnd()
      .split("\n")
      .map((l) => JSON.parse(l) as ExportRow);
    expect(rows.map((r) => r.reason)).toEqual(["two\nlines", 'with "quotes"', "with, comma", "plain"]);

    const csv = await runAdminCli([
      "audit",
      "export",
      "--workspace",
      workspace.slug,
      "--format",
      "csv",
      "--action",
      "test.cli",
    ]);
    const [header, ...lines] = parseCsv(csv.stdout);
    expect(lines.map((l) => l[header!.indexOf("reason")])).toEqual(rows.map((r) => r.reason));

    const future = await runAdminCli(["audit", "export", "--workspace", workspace.slug, "--since", "2999-01-01"]);
    expect(future).toMatchObject({ code: 0, stdout: "" });
    const past = await runAdminCli([
      "audit",
      "export",
      "--workspace",
      workspace.slug,
      "--until",
      "2000-01-01T00:00:00Z",
      "--format",
      "csv",
    ]);
    expect(parseCsv(past.stdout)).toHaveLength(1); // the header only

    const exports = await getDb().auditEvent.findMany({
      where: { workspaceId: workspace.id, action: "audit.exported" },
    });
    expect(exports).toHaveLength(4);
    expect(exports.every((e) => e.actorType === "cli")).toBe(true);
  });

  it("refuses bad input with one line on stderr and a non-zero exit", async () => {
    const workspace = await seeded();
    const cases: [string[], RegExp][] = [
      [["audit", "export", "--workspace", workspace.slug, "--format", "xml"], /--format must be ndjson or csv/],
      [["audit", "export", "--workspace", workspace.slug, "--since", "yesterday"], /ISO-8601/],
      [["audit", "verify", "--workspace", "no-such-workspace-here"], /No workspace/],
    ];
    for (const [argv, message] of cases) {
      const result = await runAdminCli(argv);
      expect(result.code, argv.join(" ")).toBe(1);
      expect(result.stdout).toBe("");
      expect(result.stderr).toMatch(message);
      expect(result.stderr.trim().split("\n")).toHaveLength(1);
    }
  });

  it("streams the export from a real process", async () => {
    const workspace = await seeded();
    const run = spawnSync(
      "npm",
      ["run", "-s", "admin", "--", "audit", "export", "--workspace", workspace.slug, "--format", "csv"],
      {
        encoding: "utf8",
        env: process.env,
      },
    );
    expect(run.status).toBe(0);
    const [header, ...lines] = parseCsv(run.stdout);
    expect(header).toContain("hash");
    expect(lines.length).toBe(await getDb().auditEvent.count({ where: { workspaceId: workspace.id } }));
  });
});

describe("offline verification of an export", () => {
  it("passes on an untouched export and names an edited line", async () => {
    const { mkdtempSync, writeFileSync } = await import("node:fs");
    const { tmpdir } = await import("node:os");
    const path = await import("node:path");
    const workspace = await seeded();
    const { sealPendingEvents } = await import("./seal-events");
    await sealPendingEvents({ wait: true });
    const exported = await runAdminCli(["audit", "export", "--workspace", workspace.slug]);
    const dir = mkdtempSync(path.join(tmpdir(), "audit-export-"));
    const file = path.join(dir, "export.ndjson");
    writeFileSync(file, exported.stdout);
    const verify = (f: string) =>
      spawnSync(process.execPath, ["scripts/verify-audit-export.mjs", f], { encoding: "utf8" });
    const ok = verify(file);
    expect(ok.status, ok.stdout + ok.stderr).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({ ok: true });
    expect(JSON.parse(ok.stdout).events).toBeGreaterThanOrEqual(4);

    const lines = exported.stdout
      .trimEnd()
      .split("\n")
      .map((l) => JSON.parse(l) as ExportRow);
    const victim = lines.find((l) => l.reason === "with, comma" && l.chainSeq !== null)!;
    const forged = lines.map((l) => (l.id === victim.id ? { ...l, reason: "with, a forged comma" } : l));
    const forgedFile = path.join(dir, "forged.ndjson");
    writeFileSync(forgedFile, forged.map((l) => JSON.stringify(l)).join("\n"));
    const bad = verify(forgedFile);
    expect(bad.status).toBe(1);
    expect(JSON.parse(bad.stdout)).toEqual({
      ok: false,
      firstBadEvent: { id: victim.id, seq: victim.chainSeq, problem: "hash_mismatch" },
    });
  });
});
