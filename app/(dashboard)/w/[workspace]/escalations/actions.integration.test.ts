import { beforeEach, describe, expect, it, vi } from "vitest";
import { form, session } from "@/tests/session-mock";
import { deadLetterTask, seedAgent } from "@/tests/agent-fixtures";
import { auditEvents } from "@/tests/fixtures";
import { getDb } from "@/lib/server/db";
import { addMember } from "@/lib/server/members/add-member";
import { runAdminCli } from "@/lib/server/cli/admin-cli";

vi.mock("@/lib/server/auth/config", () => import("@/tests/session-mock"));
vi.mock("next/cache", () => ({ revalidatePath: () => {} }));

const { acknowledgeAction, bulkAction, cancelAction, redriveAction, resolveAction } = await import("./actions");

/** A dead-lettered task with its open escalation, made through the real services. */
async function deadLettered() {
  const agent = await seedAgent();
  const { taskId, escalation, actor } = await deadLetterTask(agent);
  const operator = await addMember({
    workspaceId: agent.workspace.id,
    actor,
    email: `op-${taskId}@example.test`,
    role: "operator",
  });
  const auditor = await addMember({
    workspaceId: agent.workspace.id,
    actor,
    email: `aud-${taskId}@example.test`,
    role: "auditor",
  });
  // Both have since chosen their own passwords: a one-time password opens no action.
  await getDb().user.updateMany({
    where: { id: { in: [operator.userId, auditor.userId] } },
    data: { mustChangePassword: false },
  });
  return { agent, taskId, escalation, operatorId: operator.userId, auditorId: auditor.userId };
}

const task = (id: string) =>
  getDb().task.findUniqueOrThrow({ where: { id }, include: { events: { orderBy: { seq: "asc" } } } });
const escalationOf = (id: string) => getDb().escalation.findUniqueOrThrow({ where: { id } });

describe("escalation actions", () => {
  beforeEach(() => {
    session.userId = null;
  });

  it("refuses an auditor's redrive on the server, changes nothing, audits the denial", async () => {
    const s = await deadLettered();
    session.userId = s.auditorId;
    const state = await redriveAction(
      undefined,
      form({ workspace: s.agent.workspace.slug, escalationId: s.escalation.id, note: "let me try" }),
    );
    expect(state).toMatchObject({ ok: false, message: "Your role does not allow this." });
    expect((await task(s.taskId)).status).toBe("dead_lettered");
    expect((await escalationOf(s.escalation.id)).status).toBe("open");
    expect(await auditEvents({ workspaceId: s.agent.workspace.id, action: "escalation.redrive" })).toMatchObject([
      { outcome: "denied" },
    ]);
  });

  it("acknowledge assigns to me; redrive makes the task due now with a fresh allowance, as an event by the operator", async () => {
    const s = await deadLettered();
    session.userId = s.operatorId;
    const ack = await acknowledgeAction(
      undefined,
      form({ workspace: s.agent.workspace.slug, escalationId: s.escalation.id, note: "looking" }),
    );
    expect(ack.ok).toBe(true);
    expect(await escalationOf(s.escalation.id)).toMatchObject({ status: "acknowledged", assigneeUserId: s.operatorId });
    const redrive = await redriveAction(
      undefined,
      form({ workspace: s.agent.workspace.slug, escalationId: s.escalation.id, note: "fixed the data, retry" }),
    );
    expect(redrive.ok).toBe(true);
    const t = await task(s.taskId);
    expect(t).toMatchObject({ status: "retry_scheduled", attempt: 1, maxAttempts: 4 });
    expect(t.retryAt!.getTime()).toBeLessThanOrEqual(Date.now());
    expect(t.events.at(-1)).toMatchObject({
      type: "redriven",
      actorType: "user",
      actorId: s.operatorId,
      data: { reason: "fixed the data, retry" },
    });
    expect(await escalationOf(s.escalation.id)).toMatchObject({ status: "resolved", resolution: "redriven" });
  });

  it("resolve commits the task with validated output; resolving again is refused and changes nothing", async () => {
    const s = await deadLettered();
    session.userId = s.operatorId;
    const invalid = await resolveAction(
      undefined,
      form({ workspace: s.agent.workspace.slug, escalationId: s.escalation.id, note: "done by hand", output: "{nope" }),
    );
    expect(invalid.fieldErrors?.output?.[0]).toMatch(/valid JSON/);
    const ok = await resolveAction(
      undefined,
      form({
        workspace: s.agent.workspace.slug,
        escalationId: s.escalation.id,
        note: "done by hand",
        output: '{"paid":true}',
      }),
    );
    expect(ok.ok).toBe(true);
    expect(await task(s.taskId)).toMatchObject({ status: "committed", output: { paid: true } });
    const eventsBefore = (await task(s.taskId)).events.length;
    const again = await resolveAction(
      undefined,
      form({
        workspace: s.agent.workspace.slug,
        escalationId: s.escalation.id,
        note: "again",
        output: '{"paid":false}',
      }),
    );
    expect(again).toMatchObject({ ok: false, message: expect.stringMatching(/already resolved/) });
    expect(await task(s.taskId)).toMatchObject({ output: { paid: true } });
    expect((await task(s.taskId)).events).toHaveLength(eventsBefore);
  });

  it("cancel ends the task for good", async () => {
    const s = await deadLettered();
    session.userId = s.operatorId;
    expect(
      (
        await cancelAction(
          undefined,
          form({ workspace: s.agent.workspace.slug, escalationId: s.escalation.id, note: "duplicate run" }),
        )
      ).ok,
    ).toBe(true);
    expect(await task(s.taskId)).toMatchObject({ status: "cancelled" });
    expect((await task(s.taskId)).events.at(-1)).toMatchObject({ type: "cancelled" });
  });

  it("bulk redrive changes each selected escalation and reports the ones it could not", async () => {
    const a = await deadLettered();
    session.userId = a.operatorId;
    const state = await bulkAction(
      undefined,
      form({
        workspace: a.agent.workspace.slug,
        action: "redrive",
        ids: `${a.escalation.id},esc_doesnotexist0000`,
        note: "upstream back",
      }),
    );
    expect(state.ok).toBe(true);
    expect(state.message).toMatch(/Redriven 1 of 2/);
    expect((await task(a.taskId)).status).toBe("retry_scheduled");
  });

  it("the CLI lists and redrives escalations, as actor cli", async () => {
    const s = await deadLettered();
    const list = await runAdminCli(["escalation", "list", "--workspace", s.agent.workspace.slug, "--status", "open"]);
    expect(JSON.parse(list.stdout).items).toMatchObject([
      { id: s.escalation.id, taskId: s.taskId, cause: "dead_letter", status: "open" },
    ]);
    const noNote = await runAdminCli(["escalation", "redrive", "--id", s.escalation.id]);
    expect(noNote.code).not.toBe(0);
    const redrive = await runAdminCli([
      "escalation",
      "redrive",
      "--id",
      s.escalation.id,
      "--note",
      "scripted recovery",
    ]);
    expect(redrive.code).toBe(0);
    expect((await task(s.taskId)).events.at(-1)).toMatchObject({ type: "redriven", actorType: "cli" });
  });
});
