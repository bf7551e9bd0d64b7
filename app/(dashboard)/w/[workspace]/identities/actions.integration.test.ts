import { beforeEach, describe, expect, it, vi } from "vitest";
import { form, session } from "@/tests/session-mock";
import { seedAgent } from "@/tests/agent-fixtures";
import { auditEvents } from "@/tests/fixtures";
import { getDb } from "@/lib/server/db";

// As in the members test: only the session source is swapped; the checks are the real ones.
vi.mock("@/lib/server/auth/config", () => import("@/tests/session-mock"));
vi.mock("next/cache", () => ({ revalidatePath: () => {} }));

const { createIdentityAction, issueCredentialAction, revokeCredentialAction, setGrantsAction } =
  await import("./actions");

describe("identity server actions", () => {
  beforeEach(() => {
    session.userId = null;
  });

  it("refuses a viewer's call to create an identity, on the server, and audits it", async () => {
    const agent = await seedAgent();
    session.userId = agent.members.viewer!.id;
    const state = await createIdentityAction(
      undefined,
      form({ workspace: agent.workspace.slug, name: "sneaky-bot", workflowClass: "invoices", grants: "*:readwrite" }),
    );
    expect(state).toMatchObject({ ok: false, message: "Your role does not allow this." });
    expect(await getDb().identity.count({ where: { workspaceId: agent.workspace.id, name: "sneaky-bot" } })).toBe(0);
    expect(await auditEvents({ workspaceId: agent.workspace.id, action: "identity.create" })).toMatchObject([
      { outcome: "denied" },
    ]);
  });

  it("refuses a viewer's attempt to issue or revoke keys, or to widen grants", async () => {
    const agent = await seedAgent();
    session.userId = agent.members.viewer!.id;
    const slug = agent.workspace.slug;
    expect(
      (
        await issueCredentialAction(
          undefined,
          form({ workspace: slug, identityId: agent.identity.id, expiresInSeconds: "3600" }),
        )
      ).ok,
    ).toBe(false);
    expect(
      (
        await revokeCredentialAction(
          undefined,
          form({ workspace: slug, credentialId: agent.credential.id, reason: "because" }),
        )
      ).ok,
    ).toBe(false);
    expect(
      (
        await setGrantsAction(
          undefined,
          form({ workspace: slug, identityId: agent.identity.id, grants: "*:readwrite", reason: "more" }),
        )
      ).ok,
    ).toBe(false);
    expect(await getDb().credential.count({ where: { identityId: agent.identity.id } })).toBe(1);
    const grants = await getDb().identityGrant.findMany({ where: { identityId: agent.identity.id } });
    expect(grants.map((g) => g.pattern)).toEqual(["billing.*"]);
  });

  it("lets an admin create an identity with validated grants", async () => {
    const agent = await seedAgent();
    session.userId = agent.members.admin!.id;
    const bad = await createIdentityAction(
      undefined,
      form({ workspace: agent.workspace.slug, name: "bot-2", workflowClass: "invoices", grants: "billing*:read" }),
    );
    expect(bad.ok).toBe(false);
    expect(bad.fieldErrors?.grants?.[0]).toMatch(/wildcard/);
    const good = await createIdentityAction(
      undefined,
      form({
        workspace: agent.workspace.slug,
        name: "bot-2",
        workflowClass: "invoices",
        grants: "billing.*:read\nreports.daily:write",
      }),
    );
    expect(good.ok).toBe(true);
    const grants = await getDb().identityGrant.findMany({
      where: { identity: { name: "bot-2", workspaceId: agent.workspace.id } },
      orderBy: { pattern: "asc" },
    });
    expect(grants.map((g) => `${g.pattern}:${g.access}`)).toEqual(["billing.*:read", "reports.daily:write"]);
  });

  it("an admin of another workspace cannot revoke this workspace's key", async () => {
    const mine = await seedAgent();
    const theirs = await seedAgent();
    session.userId = theirs.members.admin!.id;
    const state = await revokeCredentialAction(
      undefined,
      form({ workspace: theirs.workspace.slug, credentialId: mine.credential.id, reason: "cross-tenant" }),
    );
    expect(state).toMatchObject({ ok: false, message: "No such key." });
    const row = await getDb().credential.findUniqueOrThrow({ where: { id: mine.credential.id } });
    expect(row.revokedAt).toBeNull();
  });
});
