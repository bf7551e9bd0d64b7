import { describe, expect, it } from "vitest";
import { checkCredential } from "@/lib/core/credential-policy";
import { hashKey } from "@/lib/core/keys";
import { seedAgent } from "@/tests/agent-fixtures";
import { auditEvents, testActor } from "@/tests/fixtures";
import { getDb } from "../db";
import { loadPrincipal } from "../agent-api/authenticate";
import { issueCredential } from "./issue-credential";
import { revokeCredential } from "./revoke-credential";
import { rotateCredential } from "./rotate-credential";

async function usable(key: string, now: Date) {
  const principal = await loadPrincipal(hashKey(key));
  return (
    principal !== null &&
    checkCredential({ ...principal.credential, identityStatus: principal.identity.status }, now).ok
  );
}

describe("credentials", () => {
  it("stores only the SHA-256 of the key, and audits the issue without the key", async () => {
    const agent = await seedAgent();
    const row = await getDb().credential.findUniqueOrThrow({ where: { id: agent.credential.id } });
    expect(row.keyHash).toBe(hashKey(agent.key));
    expect(JSON.stringify(row)).not.toContain(agent.key.slice(4));
    const events = await auditEvents({ workspaceId: agent.workspace.id, action: "credential.issued" });
    expect(events).toHaveLength(1);
    expect(JSON.stringify(events)).not.toContain(agent.key.slice(12));
  });

  it("default to 7 days, and refuse lifetimes above the workspace maximum", async () => {
    const agent = await seedAgent();
    const now = new Date();
    const issued = await issueCredential({
      workspaceId: agent.workspace.id,
      actor: testActor,
      identityId: agent.identity.id,
      now,
    });
    expect(issued.expiresAt.getTime() - now.getTime()).toBe(7 * 86400 * 1000);
    await expect(
      issueCredential({
        workspaceId: agent.workspace.id,
        actor: testActor,
        identityId: agent.identity.id,
        expiresInSeconds: 91 * 86400,
      }),
    ).rejects.toMatchObject({ code: "validation_failed" });
  });

  it("cannot be issued for an identity of another workspace", async () => {
    const a = await seedAgent();
    const b = await seedAgent();
    await expect(
      issueCredential({ workspaceId: a.workspace.id, actor: testActor, identityId: b.identity.id }),
    ).rejects.toMatchObject({ code: "not_found" });
  });

  it("rotation: the old key works during the overlap and fails after it; the new key works", async () => {
    const agent = await seedAgent();
    const t0 = new Date();
    const rotated = await rotateCredential({
      workspaceId: agent.workspace.id,
      actor: testActor,
      credentialId: agent.credential.id,
      overlapSeconds: 60,
      reason: "scheduled rotation",
      now: t0,
    });
    expect(rotated.previous.expiresAt).toEqual(new Date(t0.getTime() + 60_000));
    expect(await usable(agent.key, new Date(t0.getTime() + 59_000))).toBe(true);
    expect(await usable(agent.key, new Date(t0.getTime() + 60_000))).toBe(false);
    expect(await usable(rotated.key, new Date(t0.getTime() + 61_000))).toBe(true);
    const [event] = await auditEvents({ workspaceId: agent.workspace.id, action: "credential.rotated" });
    expect(event).toMatchObject({ reason: "scheduled rotation", details: { rotatedFromId: agent.credential.id } });
  });

  it("revocation is final and audited with who and why", async () => {
    const agent = await seedAgent();
    const revoked = await revokeCredential({
      workspaceId: agent.workspace.id,
      actor: testActor,
      credentialId: agent.credential.id,
      reason: "compromised",
    });
    expect(revoked).toMatchObject({ revokedBy: "test-suite", revokedReason: "compromised" });
    expect(await usable(agent.key, new Date())).toBe(false);
    await expect(
      revokeCredential({
        workspaceId: agent.workspace.id,
        actor: testActor,
        credentialId: agent.credential.id,
        reason: "again",
      }),
    ).rejects.toMatchObject({ code: "conflict" });
    await expect(
      rotateCredential({
        workspaceId: agent.workspace.id,
        actor: testActor,
        credentialId: agent.credential.id,
        overlapSeconds: 60,
        reason: "x",
      }),
    ).rejects.toMatchObject({ code: "conflict" });
  });
});
