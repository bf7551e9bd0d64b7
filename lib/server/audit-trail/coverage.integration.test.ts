import { randomBytes } from "node:crypto";
import { beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { form, session } from "@/tests/session-mock";
import {
  agentRequest,
  deadLetterTask,
  pendingAction,
  requestTestAction,
  seedAgent,
  seedRule,
} from "@/tests/agent-fixtures";
import {
  discoverRouteHandlers,
  discoverServerActions,
  importEntry,
  importModule,
  sourceFiles,
} from "@/tests/app-entry-points";
import { testActor, testAddress } from "@/tests/fixtures";
import type { ActionState } from "@/lib/action-state";
import type { Actor } from "../audit";
import { runAdminCli, usage } from "../cli/admin-cli";
import { issueCredential } from "../credentials/issue-credential";
import { getDb } from "../db";
import { createIdentity } from "../identities/create-identity";
import { createUser } from "../users/create-user";
import { verifySignIn } from "../auth/verify-sign-in";
import { freezeActionPattern } from "../actions/rules";
import { MAX_DELIVERY_ATTEMPTS } from "@/lib/core/webhooks";

/**
 * Auditability, enforced: this test finds every server action ("use server"
 * files under app/), every mutating route handler (POST/PUT/PATCH/DELETE under
 * app/) and every admin CLI command, and fails when one has no case here — so
 * a new one cannot be added without showing that it writes its audit event.
 * Each case runs for real: the admin's call must write a success event, the
 * auditor's call must be refused and the refusal audited (auditors read and
 * export, they change nothing).
 */
vi.mock("@/lib/server/auth/config", () => import("@/tests/session-mock"));
vi.mock("next/cache", () => ({ revalidatePath: () => {} }));
// app/auth-actions.ts imports Auth.js only for its error class, which cannot load outside Next.
vi.mock("next-auth", () => ({ AuthError: class AuthError extends Error {} }));

const unique = (label: string) => `${label}-${randomBytes(3).toString("hex")}`;
const MUTATING = ["POST", "PUT", "PATCH", "DELETE"];

type World = Awaited<ReturnType<typeof buildWorld>>;
type Action = (state: ActionState | undefined, data: FormData) => Promise<ActionState>;

async function buildWorld() {
  const agent = await seedAgent();
  const db = getDb();
  const auditorPassword = `pw-${randomBytes(8).toString("hex")}`;
  const auditor = await createUser({
    actor: testActor,
    email: `${unique("auditor")}@example.test`,
    password: auditorPassword,
    workspaceSlug: agent.workspace.slug,
    role: "auditor",
  });
  const namespace = await db.namespace.findFirstOrThrow({
    where: { workspaceId: agent.workspace.id, name: "billing.runs" },
  });
  const slug = agent.workspace.slug;
  const member = async (role: "viewer" | "operator") =>
    (
      await createUser({
        actor: testActor,
        email: `${unique(role)}@example.test`,
        password: `pw-${randomBytes(8).toString("hex")}`,
        workspaceSlug: slug,
        role,
      })
    ).userId;
  const credential = async () =>
    (
      await issueCredential({
        workspaceId: agent.workspace.id,
        actor: testActor,
        identityId: agent.identity.id,
        expiresInSeconds: 3600,
      })
    ).id;
  const escalation = async () => (await deadLetterTask(agent)).escalation.id;
  return {
    ...agent,
    agent,
    slug,
    namespace,
    auditor: { id: auditor.userId, password: auditorPassword },
    newMember: member,
    newCredential: credential,
    newEscalation: escalation,
  };
}

const note = "covered by the audit coverage test";
const policy = {
  maxAttempts: "3",
  initialIntervalMs: "1000",
  backoffCoefficient: "2",
  maxIntervalMs: "60000",
  nonRetryableErrors: "validation",
  heartbeatTimeoutSeconds: "300",
};

/**
 * One case per server action: the form an admin would submit. `auditorMay`
 * marks the few that are not workspace changes (the auditor's own password,
 * verifying the chain), which an auditor may run.
 */
const ACTION_CASES: Record<string, { form: (w: World) => Promise<Record<string, string>>; auditorMay?: true }> = {
  "app/(dashboard)/w/[workspace]/audit/actions.ts#verifyAuditChainAction": {
    form: async (w) => ({ workspace: w.slug }),
    auditorMay: true,
  },
  "app/(dashboard)/w/[workspace]/budgets/actions.ts#saveBudgetAction": {
    form: async (w) => ({
      workspace: w.slug,
      dailyRequestLimit: "100000",
      degradeAtPercent: "80",
      stopMessage: "",
      timeZone: "UTC",
      reason: note,
    }),
  },
  "app/(dashboard)/w/[workspace]/budgets/actions.ts#killSwitchAction": {
    form: async (w) => ({ workspace: w.slug, on: "false", reason: note }),
  },
  "app/(dashboard)/w/[workspace]/budgets/actions.ts#writeCeilingAction": {
    form: async (w) => ({ workspace: w.slug, credentialId: await w.newCredential(), ceiling: "100", reason: note }),
  },
  "app/(dashboard)/w/[workspace]/budgets/actions.ts#workspaceSpendLimitsAction": {
    form: async (w) => ({
      workspace: w.slug,
      // Roomy: a limit below the other cases' estimates would refuse their actions.
      dailyUsd: `${1_000_000 + Math.floor(Math.random() * 1e6)}.75`,
      monthlyUsd: "",
      dailyTokens: "",
      reason: note,
    }),
  },
  "app/(dashboard)/w/[workspace]/budgets/actions.ts#classSpendLimitAction": {
    // A class of its own: a limit on the world's class would refuse the other cases' actions.
    form: async (w) => {
      const created = await runAdminCli(["class", "create", "--workspace", w.slug, "--name", unique("cls")]);
      return { workspace: w.slug, id: (JSON.parse(created.stdout) as { id: string }).id, dailyUsd: "20", reason: note };
    },
  },
  "app/(dashboard)/w/[workspace]/budgets/actions.ts#keySpendLimitAction": {
    form: async (w) => ({ workspace: w.slug, id: await w.newCredential(), dailyUsd: "3.5", reason: note }),
  },
  "app/(dashboard)/w/[workspace]/escalations/actions.ts#acknowledgeAction": {
    form: async (w) => ({ workspace: w.slug, escalationId: await w.newEscalation(), note }),
  },
  "app/(dashboard)/w/[workspace]/escalations/actions.ts#reassignAction": {
    form: async (w) => ({
      workspace: w.slug,
      escalationId: await w.newEscalation(),
      note,
      assigneeUserId: w.members.admin!.id,
    }),
  },
  "app/(dashboard)/w/[workspace]/escalations/actions.ts#addNoteAction": {
    form: async (w) => ({ workspace: w.slug, escalationId: await w.newEscalation(), note }),
  },
  "app/(dashboard)/w/[workspace]/escalations/actions.ts#redriveAction": {
    form: async (w) => ({ workspace: w.slug, escalationId: await w.newEscalation(), note }),
  },
  "app/(dashboard)/w/[workspace]/escalations/actions.ts#resolveAction": {
    form: async (w) => ({ workspace: w.slug, escalationId: await w.newEscalation(), note, output: '{"ok":true}' }),
  },
  "app/(dashboard)/w/[workspace]/escalations/actions.ts#cancelAction": {
    form: async (w) => ({ workspace: w.slug, escalationId: await w.newEscalation(), note }),
  },
  "app/(dashboard)/w/[workspace]/escalations/actions.ts#bulkAction": {
    form: async (w) => ({
      workspace: w.slug,
      action: "cancel",
      ids: `${await w.newEscalation()},${await w.newEscalation()}`,
      note,
    }),
  },
  "app/(dashboard)/w/[workspace]/identities/actions.ts#createIdentityAction": {
    form: async (w) => ({
      workspace: w.slug,
      name: unique("bot"),
      workflowClass: "invoices",
      grants: "billing.*:read",
    }),
  },
  "app/(dashboard)/w/[workspace]/identities/actions.ts#setGrantsAction": {
    form: async (w) => ({ workspace: w.slug, identityId: w.identity.id, grants: "billing.*:readwrite", reason: note }),
  },
  "app/(dashboard)/w/[workspace]/identities/actions.ts#setIdentityStatusAction": {
    form: async (w) => {
      const identity = await createIdentity({
        workspaceId: w.workspace.id,
        actor: testActor,
        name: unique("bot"),
        workflowClass: "invoices",
        grants: [{ pattern: "billing.*", access: "read" }],
      });
      return { workspace: w.slug, identityId: identity.id, status: "disabled", reason: note };
    },
  },
  "app/(dashboard)/w/[workspace]/identities/actions.ts#issueCredentialAction": {
    form: async (w) => ({ workspace: w.slug, identityId: w.identity.id, expiresInSeconds: "3600" }),
  },
  "app/(dashboard)/w/[workspace]/identities/actions.ts#revokeCredentialAction": {
    form: async (w) => ({ workspace: w.slug, credentialId: await w.newCredential(), reason: note }),
  },
  "app/(dashboard)/w/[workspace]/identities/actions.ts#rotateCredentialAction": {
    form: async (w) => ({
      workspace: w.slug,
      credentialId: await w.newCredential(),
      overlapSeconds: "60",
      reason: note,
    }),
  },
  "app/(dashboard)/w/[workspace]/namespaces/actions.ts#createNamespaceAction": {
    form: async (w) => ({ workspace: w.slug, name: `cov.${unique("ns").replace("-", "_")}` }),
  },
  "app/(dashboard)/w/[workspace]/namespaces/actions.ts#updateNamespaceAction": {
    form: async (w) => ({ workspace: w.slug, namespaceId: w.namespace.id, maxTtlSeconds: "86400", reason: note }),
  },
  "app/(dashboard)/w/[workspace]/namespaces/[namespaceId]/actions.ts#deleteEntryAction": {
    form: async (w) => {
      const key = unique("key");
      await getDb().$executeRaw`
        INSERT INTO kv_entry (workspace_id, namespace_id, key, value, version, updated_by_type, updated_by_name)
        VALUES (${w.workspace.id}, ${w.namespace.id}, ${key}, '{"n":1}'::jsonb, 1, 'cli', 'coverage-test')`;
      return { workspace: w.slug, namespaceId: w.namespace.id, key, reason: note };
    },
  },
  // ——— rules (issue #20) ———
  "app/(dashboard)/w/[workspace]/rules/actions.ts#createRuleAction": {
    form: async (w) => ({
      workspace: w.slug,
      name: unique("rule"),
      action: "payments.*",
      effect: "require_approval",
      reason: note,
    }),
  },
  "app/(dashboard)/w/[workspace]/rules/actions.ts#updateRuleAction": {
    form: async (w) => ({
      workspace: w.slug,
      ruleId: (await seedRule(w.agent, { name: unique("rule"), action: "payments.*", effect: "allow" })).id,
      name: unique("rule"),
      action: "payments.*",
      effect: "allow",
      maxEstimateUsd: "20",
      reason: note,
    }),
  },
  "app/(dashboard)/w/[workspace]/rules/actions.ts#deleteRuleAction": {
    form: async (w) => ({
      workspace: w.slug,
      ruleId: (await seedRule(w.agent, { name: unique("rule"), action: "email.*", effect: "deny" })).id,
      reason: note,
    }),
  },
  "app/(dashboard)/w/[workspace]/rules/actions.ts#moveRuleAction": {
    form: async (w) => ({
      workspace: w.slug,
      ruleId: (await seedRule(w.agent, { name: unique("rule"), action: "email.*", effect: "deny" })).id,
      position: "1",
      reason: note,
    }),
  },
  "app/(dashboard)/w/[workspace]/rules/actions.ts#setRuleModeAction": {
    form: async (w) => ({
      workspace: w.slug,
      ruleId: (await seedRule(w.agent, { name: unique("rule"), action: "email.*", effect: "deny" })).id,
      mode: "shadow",
      reason: note,
    }),
  },
  "app/(dashboard)/w/[workspace]/rules/actions.ts#setDefaultEffectAction": {
    form: async (w) => ({ workspace: w.slug, defaultActionEffect: "require_approval", reason: note }),
  },
  // Reads only, but it reads every agent's requests: who replayed what is recorded.
  "app/(dashboard)/w/[workspace]/rules/actions.ts#previewRulesAction": {
    form: async (w) => ({ workspace: w.slug, draft: "[]", defaultEffect: "deny" }),
  },
  "app/(dashboard)/w/[workspace]/settings/members/actions.ts#addMemberAction": {
    form: async (w) => ({ workspace: w.slug, email: `${unique("new")}@example.test`, role: "viewer" }),
  },
  "app/(dashboard)/w/[workspace]/settings/members/actions.ts#changeMemberRoleAction": {
    form: async (w) => ({ workspace: w.slug, userId: await w.newMember("viewer"), role: "operator", reason: note }),
  },
  "app/(dashboard)/w/[workspace]/settings/members/actions.ts#removeMemberAction": {
    form: async (w) => ({ workspace: w.slug, userId: await w.newMember("viewer"), reason: note }),
  },
  "app/(dashboard)/w/[workspace]/settings/members/actions.ts#signOutMemberEverywhereAction": {
    form: async (w) => ({ workspace: w.slug, userId: await w.newMember("viewer"), reason: note }),
  },
  "app/(dashboard)/w/[workspace]/workflows/actions.ts#createWorkflowClassAction": {
    form: async (w) => ({ workspace: w.slug, name: unique("cls"), ...policy }),
  },
  "app/(dashboard)/w/[workspace]/workflows/actions.ts#updateWorkflowClassAction": {
    form: async (w) => ({ workspace: w.slug, classId: w.workflowClass.id, ...policy, maxAttempts: "4", reason: note }),
  },
  "app/(dashboard)/w/[workspace]/workflows/actions.ts#setNotificationsAction": {
    // A class of its own: the shared class's escalations must not queue deliveries that other test files' jobs would pick up.
    form: async (w) => {
      const { createWorkflowClass } = await import("../workflow-classes/create-workflow-class");
      const wc = await createWorkflowClass({
        workspaceId: w.workspace.id,
        actor: testActor,
        name: unique("notified"),
        maxAttempts: 3,
        initialIntervalMs: 1000,
        backoffCoefficient: 2,
        maxIntervalMs: 60000,
        nonRetryableErrors: [],
        heartbeatTimeoutSeconds: 300,
      });
      return { workspace: w.slug, classId: wc.id, webhookUrl: "http://127.0.0.1:9/hook", reason: note };
    },
  },
  // Actions (issue #20): the approvals queue and the action page.
  "app/(dashboard)/w/[workspace]/approvals/actions.ts#approveAction": {
    form: async (w) => ({
      workspace: w.slug,
      actionId: (await pendingAction(w.agent)).id,
      reason: note,
      arguments: '{"order": 123, "amount": 2}',
    }),
  },
  "app/(dashboard)/w/[workspace]/approvals/actions.ts#rejectAction": {
    form: async (w) => ({ workspace: w.slug, actionId: (await pendingAction(w.agent)).id, reason: note }),
  },
  "app/(dashboard)/w/[workspace]/approvals/actions.ts#bulkRejectAction": {
    form: async (w) => ({
      workspace: w.slug,
      ids: `${(await pendingAction(w.agent)).id},${(await pendingAction(w.agent)).id}`,
      reason: note,
    }),
  },
  "app/(dashboard)/w/[workspace]/approvals/actions.ts#freezePatternAction": {
    // An action name of its own: a freeze of payments.refund would deny the other cases' requests.
    form: async (w) => ({
      workspace: w.slug,
      actionId: (await requestTestAction(w.agent, { action: `cov.${unique("f").replace("-", "")}.send` })).id,
      scope: "prefix",
      reason: note,
    }),
  },
  "app/(dashboard)/w/[workspace]/approvals/actions.ts#liftFreezeAction": {
    form: async (w) => {
      const pattern = `cov.${unique("l").replace("-", "")}`;
      await freezeActionPattern({ workspaceId: w.workspace.id, actor: testActor, reason: note, pattern });
      return { workspace: w.slug, pattern, reason: note };
    },
  },
  "app/(dashboard)/w/[workspace]/approvals/actions.ts#disableIdentityAction": {
    form: async (w) => {
      const identity = await createIdentity({
        workspaceId: w.workspace.id,
        actor: testActor,
        name: unique("bot"),
        workflowClass: "invoices",
        grants: [],
      });
      return { workspace: w.slug, identityId: identity.id, reason: note };
    },
  },
};

/**
 * Actions outside a workspace. `signInAction` is Auth.js's: the audit is
 * written by its authorize callback (verifySignIn), exercised below.
 */
const ACCOUNT_ACTIONS = [
  "app/auth-actions.ts#signInAction",
  "app/auth-actions.ts#signOutAction",
  "app/auth-actions.ts#changePasswordAction",
];

/** Route handlers that change something, and how each is exercised below. */
const ROUTE_CASES = [
  "app/api/v1/kv/[namespace]/[key]/route.ts#PUT",
  "app/api/v1/kv/[namespace]/[key]/route.ts#DELETE",
  "app/api/v1/tasks/route.ts#POST",
  "app/api/v1/tasks/[id]/events/route.ts#POST",
  "app/api/v1/actions/route.ts#POST",
  "app/api/v1/actions/[id]/complete/route.ts#POST",
  "app/api/v1/actions/[id]/cancel/route.ts#POST",
];
/** Mutating verbs that change nothing: with why. */
const ROUTES_THAT_CHANGE_NOTHING: Record<string, string> = {
  "app/api/v1/[...path]/route.ts": "unknown paths: a 404 envelope, nothing is read or written",
  "app/api/auth/[...nextauth]/route.ts":
    "Auth.js: sign-in is audited by verifySignIn (tested below), sign-out by signOutAction or its signOut event (endSession)",
};

/**
 * Events an action may write outside its workspace: a new account (adding a member with an unknown
 * email) is no workspace's business — its workspace must not learn whether the person was new.
 */
const OUTSIDE_ANY_WORKSPACE = ["user.created"];

const actionFn = (id: string) => importEntry<Action>(id);

/** Audit events written since `afterId` by this actor. */
async function eventsSince(afterId: bigint, actorId: string) {
  return getDb().auditEvent.findMany({
    where: { id: { gt: afterId }, actorId },
    orderBy: { id: "asc" },
    select: { action: true, outcome: true, workspaceId: true },
  });
}

async function lastId(): Promise<bigint> {
  const [row] = await getDb().$queryRaw<{ id: bigint | null }[]>`SELECT max(id) AS id FROM audit_event`;
  return row?.id ?? 0n;
}

/** Runs a server action, treating Next's redirect (thrown after a success) as a success. */
async function call(action: Action, fields: Record<string, string>): Promise<ActionState> {
  try {
    return await action(undefined, form(fields));
  } catch (error) {
    if (String((error as { digest?: string }).digest ?? "").startsWith("NEXT_REDIRECT"))
      return { ok: true, message: "redirected" };
    throw error;
  }
}

let world: World;
beforeAll(async () => {
  world = await buildWorld();
}, 120_000);
beforeEach(() => {
  session.userId = null;
});

describe("every server action writes its audit event", () => {
  it("has a case for every server action in app/ (add one for a new action: it must audit)", async () => {
    expect(await discoverServerActions()).toEqual([...Object.keys(ACTION_CASES), ...ACCOUNT_ACTIONS].sort());
  });

  for (const [id, testCase] of Object.entries(ACTION_CASES)) {
    const [, name] = id.split("#");
    it(`${name}: an auditor is ${testCase.auditorMay ? "allowed (not a change)" : "refused, and the refusal is audited"}; an admin's call is audited`, async () => {
      const action = await actionFn(id);

      session.userId = world.auditor.id;
      let before = await lastId();
      const asAuditor = await call(action, await testCase.form(world));
      const auditorEvents = await eventsSince(before, world.auditor.id);
      if (testCase.auditorMay) {
        expect(asAuditor.ok, asAuditor.message ?? "").toBe(true);
        expect(auditorEvents.filter((e) => e.outcome === "success").length).toBeGreaterThan(0);
      } else {
        expect(asAuditor).toMatchObject({ ok: false, message: "Your role does not allow this." });
        expect(auditorEvents).toEqual([
          { action: expect.any(String), outcome: "denied", workspaceId: world.workspace.id },
        ]);
      }

      session.userId = world.members.admin!.id;
      before = await lastId();
      const asAdmin = await call(action, await testCase.form(world));
      expect(asAdmin.ok, `${name}: ${asAdmin.message}`).toBe(true);
      const adminEvents = await eventsSince(before, world.members.admin!.id);
      expect(adminEvents.length, `${name} wrote no audit event`).toBeGreaterThan(0);
      expect(adminEvents.every((e) => e.outcome === "success")).toBe(true);
      expect(
        adminEvents.filter((e) => e.workspaceId !== world.workspace.id && !OUTSIDE_ANY_WORKSPACE.includes(e.action)),
      ).toEqual([]);
      expect(adminEvents.some((e) => e.workspaceId === world.workspace.id)).toBe(true);
    });
  }

  it("changePasswordAction and signOutAction audit the person's own account changes", async () => {
    const changePassword = await actionFn("app/auth-actions.ts#changePasswordAction");
    const signOut = await actionFn("app/auth-actions.ts#signOutAction");
    session.userId = world.auditor.id;
    const before = await lastId();
    const changed = await call(changePassword, {
      currentPassword: world.auditor.password,
      newPassword: "a-brand-new-password-42",
      confirmPassword: "a-brand-new-password-42",
    });
    expect(changed.ok, changed.message ?? "").toBe(true);
    world.auditor.password = "a-brand-new-password-42";
    await (signOut as unknown as () => Promise<void>)();
    const events = await eventsSince(before, world.auditor.id);
    expect(events.map((e) => e.action)).toEqual(expect.arrayContaining(["auth.signed_out"]));
    expect(events.length).toBeGreaterThanOrEqual(2);
  });

  it("signInAction's check (Auth.js authorize → verifySignIn) audits failures and successes", async () => {
    const email = (await getDb().user.findUniqueOrThrow({ where: { id: world.members.viewer!.id } })).email;
    const before = await lastId();
    const clientAddress = testAddress();
    await verifySignIn({ email, password: "not-the-password", clientAddress });
    await verifySignIn({ email, password: world.members.viewer!.password, clientAddress });
    const events = await getDb().auditEvent.findMany({
      where: { id: { gt: before }, target: email },
      orderBy: { id: "asc" },
    });
    expect(events.map((e) => e.action)).toEqual(["auth.sign_in_failed", "auth.signed_in"]);
  });
});

describe("every mutating route writes its audit event", () => {
  it("knows every mutating route handler in app/", async () => {
    const found = await discoverRouteHandlers((file) => !ROUTES_THAT_CHANGE_NOTHING[file]);
    expect(found.filter((id) => MUTATING.includes(id.split("#")[1]!))).toEqual([...ROUTE_CASES].sort());
  });

  it("audits every agent write, and every refusal, with the identity as actor", async () => {
    const kv = await import("@/app/api/v1/kv/[namespace]/[key]/route");
    const tasks = await import("@/app/api/v1/tasks/route");
    const events = await import("@/app/api/v1/tasks/[id]/events/route");
    const key = unique("k");
    const kvParams = { params: Promise.resolve({ namespace: "billing.runs", key }) };
    const json = (method: string, body: unknown, headers: Record<string, string> = {}) => ({
      method,
      body: JSON.stringify(body),
      headers: { "Content-Type": "application/json", ...headers },
    });
    const cases: [string, () => Promise<Response>, "success" | "denied" | "conflict"][] = [
      [
        "PUT kv",
        () => kv.PUT(agentRequest(`/api/v1/kv/billing.runs/${key}`, world.key, json("PUT", { value: 1 })), kvParams),
        "success",
      ],
      [
        "PUT kv outside the grants",
        () =>
          kv.PUT(agentRequest(`/api/v1/kv/secret.stuff/${key}`, world.key, json("PUT", { value: 1 })), {
            params: Promise.resolve({ namespace: "secret.stuff", key }),
          }),
        "denied",
      ],
      [
        "DELETE kv",
        () => kv.DELETE(agentRequest(`/api/v1/kv/billing.runs/${key}`, world.key, { method: "DELETE" }), kvParams),
        "success",
      ],
      [
        "POST tasks",
        () =>
          tasks.POST(
            agentRequest("/api/v1/tasks", world.key, json("POST", { namespace: "billing.runs", input: { n: 1 } })),
            { params: Promise.resolve({}) },
          ),
        "success",
      ],
    ];
    for (const [label, run, outcome] of cases) {
      const before = await lastId();
      const response = await run();
      const written = await eventsSince(before, world.identity.id);
      expect(
        written.map((e) => e.outcome),
        `${label} → ${response.status}`,
      ).toContain(outcome);
    }
    // Actions: allowed, denied (kept, audited as denied), completed, cancelled, a refused completion.
    const actions = await import("@/app/api/v1/actions/route");
    const completeRoute = await import("@/app/api/v1/actions/[id]/complete/route");
    const cancelRoute = await import("@/app/api/v1/actions/[id]/cancel/route");
    await seedRule(world.agent, { name: unique("cov-allow"), action: "coverage.allowed", effect: "allow" });
    const askFor = async (action: string) => {
      const mark = await lastId();
      const response = await actions.POST(agentRequest("/api/v1/actions", world.key, json("POST", { action })), {
        params: Promise.resolve({}),
      });
      return {
        mark,
        response,
        body: (await response.json()) as { id?: string; error?: { details: { actionId: string } } },
      };
    };
    const allowed = await askFor("coverage.allowed");
    expect(allowed.response.status).toBe(201);
    expect((await eventsSince(allowed.mark, world.identity.id)).map((e) => e.outcome)).toContain("success");
    await seedRule(world.agent, { name: unique("cov-deny"), action: "coverage.denied", effect: "deny" }, 1);
    const denied = await askFor("coverage.denied");
    expect(denied.response.status).toBe(403);
    expect((await eventsSince(denied.mark, world.identity.id)).map((e) => e.outcome)).toContain("denied");
    const settle = (route: typeof completeRoute, id: string, body: unknown) =>
      route.POST(agentRequest(`/api/v1/actions/${id}/x`, world.key, json("POST", body)), {
        params: Promise.resolve({ id }),
      });
    for (const [route, body, status, outcome] of [
      [completeRoute, { outcome: "succeeded" }, 200, "success"],
      [completeRoute, { outcome: "failed" }, 409, "conflict"],
      [cancelRoute, {}, 409, "conflict"],
    ] as const) {
      const mark = await lastId();
      expect((await settle(route, allowed.body.id!, body)).status).toBe(status);
      expect((await eventsSince(mark, world.identity.id)).map((e) => e.outcome)).toContain(outcome);
    }
    const toCancel = await askFor("coverage.allowed");
    const mark = await lastId();
    expect((await settle(cancelRoute, toCancel.body.id!, {})).status).toBe(200);
    expect((await eventsSince(mark, world.identity.id)).map((e) => e.outcome)).toContain("success");

    // A task event: started, then an illegal transition (refused and audited).
    const created = await tasks.POST(
      agentRequest("/api/v1/tasks", world.key, json("POST", { namespace: "billing.runs", input: {} })),
      { params: Promise.resolve({}) },
    );
    const taskId = ((await created.json()) as { id: string }).id;
    const post = (type: string) =>
      events.POST(agentRequest(`/api/v1/tasks/${taskId}/events`, world.key, json("POST", { type })), {
        params: Promise.resolve({ id: taskId }),
      });
    let before = await lastId();
    expect((await post("started")).status).toBe(200);
    expect((await eventsSince(before, world.identity.id)).map((e) => e.outcome)).toContain("success");
    before = await lastId();
    expect((await post("started")).status).toBe(409);
    expect((await eventsSince(before, world.identity.id)).length).toBeGreaterThan(0);
  });
});

describe("every admin CLI command that changes something writes its audit event", () => {
  const READ_ONLY = new Set(["escalation list", "audit verify", "rule list", "approval list"]);
  const commands = () =>
    usage()
      .split("\n")
      .map((line) => /^ {2}(\w+ \w+)/.exec(line)?.[1])
      .filter((c): c is string => Boolean(c));

  const CLI_CASES: Record<string, (w: World) => Promise<string[]>> = {
    "workspace create": async () => ["workspace", "create", "--slug", unique("cov")],
    "workspace set": async (w) => ["workspace", "set", "--slug", w.slug, "--degrade-at", "75", "--reason", note],
    "user create": async (w) => [
      "user",
      "create",
      "--email",
      `${unique("cli")}@example.test`,
      "--password",
      "at-least-12-characters",
      "--workspace",
      w.slug,
      "--role",
      "viewer",
    ],
    "namespace create": async (w) => [
      "namespace",
      "create",
      "--workspace",
      w.slug,
      "--name",
      `cli.${unique("n").replace("-", "_")}`,
    ],
    "class create": async (w) => [
      "class",
      "create",
      "--workspace",
      w.slug,
      "--name",
      unique("cls"),
      "--daily-usd",
      "5",
    ],
    // A class of its own: a limit on the world's "invoices" would refuse the other cases' actions.
    "class set": async (w) => {
      const name = unique("cls");
      await runAdminCli(["class", "create", "--workspace", w.slug, "--name", name]);
      return ["class", "set", "--workspace", w.slug, "--name", name, "--daily-usd", "20.5"];
    },
    "identity create": async (w) => [
      "identity",
      "create",
      "--workspace",
      w.slug,
      "--name",
      unique("bot"),
      "--class",
      "invoices",
      "--grant",
      "billing.*:read",
    ],
    "identity disable": async (w) => {
      const name = unique("bot");
      await createIdentity({
        workspaceId: w.workspace.id,
        actor: testActor,
        name,
        workflowClass: "invoices",
        grants: [],
      });
      return ["identity", "disable", "--workspace", w.slug, "--name", name];
    },
    "identity enable": async (w) => ["identity", "enable", "--workspace", w.slug, "--name", w.identity.name],
    "key create": async (w) => ["key", "create", "--workspace", w.slug, "--identity", w.identity.name],
    "key rotate": async (w) => ["key", "rotate", "--id", await w.newCredential()],
    "key revoke": async (w) => ["key", "revoke", "--id", await w.newCredential()],
    "escalation acknowledge": async (w) => [
      "escalation",
      "acknowledge",
      "--id",
      await w.newEscalation(),
      "--note",
      note,
    ],
    "escalation redrive": async (w) => ["escalation", "redrive", "--id", await w.newEscalation(), "--note", note],
    "escalation resolve": async (w) => [
      "escalation",
      "resolve",
      "--id",
      await w.newEscalation(),
      "--note",
      note,
      "--output",
      "{}",
    ],
    "escalation cancel": async (w) => ["escalation", "cancel", "--id", await w.newEscalation(), "--note", note],
    "audit export": async (w) => ["audit", "export", "--workspace", w.slug, "--since", "2999-01-01"],
    "audit checkpoint": async (w) => ["audit", "checkpoint", "--workspace", w.slug],
    "audit key": async () => ["audit", "key", "rotate"],
    // Actions (rules and approvals): the CLI cases of issue #20.
    "rule create": async (w) => [
      "rule",
      "create",
      "--workspace",
      w.slug,
      "--name",
      unique("rule"),
      "--action",
      "email.send",
      "--effect",
      "allow",
    ],
    "rule delete": async (w) => {
      const name = unique("rule");
      await seedRule(w.agent, { name, action: "email.send", effect: "deny" });
      return ["rule", "delete", "--workspace", w.slug, "--name", name];
    },
    "approval approve": async (w) => ["approval", "approve", "--id", (await pendingAction(w.agent)).id, "--note", note],
    "approval reject": async (w) => ["approval", "reject", "--id", (await pendingAction(w.agent)).id, "--note", note],
  };

  it("has a case for every command that is not read-only", () => {
    expect(
      commands()
        .filter((c) => !READ_ONLY.has(c))
        .sort(),
    ).toEqual(Object.keys(CLI_CASES).sort());
  });

  for (const [command, argv] of Object.entries(CLI_CASES)) {
    it(`${command}`, async () => {
      const actor: Actor = { type: "cli", id: unique("cli-actor"), name: "coverage" };
      const before = await lastId();
      const result = await runAdminCli(await argv(world), actor);
      expect(result.code, result.stderr).toBe(0);
      const written = await eventsSince(before, actor.id!);
      expect(written.length, `${command} wrote no audit event`).toBeGreaterThan(0);
    });
  }
});

describe("every background job that changes something writes its audit event", () => {
  const jobFiles = sourceFiles("lib/server/jobs", (f) => !f.endsWith("scheduler.ts"));

  /** Runs a job until it has done its work (another test file may hold its advisory lock for a moment). */
  async function until(run: () => Promise<unknown>, done: () => Promise<boolean>) {
    for (let i = 0; i < 40; i++) {
      await run();
      if (await done()) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error("the job never did its work");
  }
  const audited = (workspaceId: string, action: string, target?: string) => async () =>
    (await getDb().auditEvent.count({ where: { workspaceId, action, ...(target ? { target } : {}) } })) > 0;

  const JOB_CASES: Record<string, (w: World) => Promise<void>> = {
    "lib/server/jobs/action-deadlines.ts#runActionDeadlines": async (w) => {
      const { runActionDeadlines } = await import("../jobs/action-deadlines");
      const pending = await pendingAction(w.agent);
      await until(
        () => runActionDeadlines({ workspaceId: w.workspace.id, now: new Date(Date.now() + 2 * 3600_000) }),
        audited(w.workspace.id, "action.expired", pending.id),
      );
    },
    "lib/server/jobs/sweep-expired.ts#sweepExpired": async (w) => {
      const { sweepExpired } = await import("../jobs/sweep-expired");
      await getDb().$executeRaw`
        INSERT INTO kv_entry (workspace_id, namespace_id, key, value, version, expires_at, updated_by_type, updated_by_name)
        VALUES (${w.workspace.id}, ${w.namespace.id}, ${unique("old")}, '1'::jsonb, 1, now() - interval '1 minute', 'cli', 'coverage-test')`;
      await until(() => sweepExpired(), audited(w.workspace.id, "kv.expired_purged"));
    },
    "lib/server/jobs/heartbeat-timeouts.ts#failSilentTasks": async (w) => {
      const { failSilentTasks } = await import("../jobs/heartbeat-timeouts");
      const { taskId } = await deadLetterTask(w.agent); // a task of this workspace; make another one silent
      const task = await getDb().task.findUniqueOrThrow({ where: { id: taskId } });
      await getDb().$executeRaw`
        UPDATE task SET status = 'running', heartbeat_at = now() - interval '1 day' WHERE id = ${task.id}`;
      await until(
        () => failSilentTasks(),
        async () =>
          (await getDb().auditEvent.count({
            where: { workspaceId: w.workspace.id, target: task.id, actorId: "heartbeat-monitor" },
          })) > 0,
      );
    },
    "lib/server/jobs/deliver-webhooks.ts#deliverDueWebhooks": async (w) => {
      const { deliverDueWebhooks } = await import("../jobs/deliver-webhooks");
      const escalationId = await w.newEscalation();
      // On its last attempt, so that it ends here (failed) instead of lingering for other test files' job runs.
      await getDb().webhookDelivery.create({
        data: {
          escalationId,
          tier: 1,
          url: "http://127.0.0.1:9/refused",
          nextAttemptAt: new Date(),
          attempts: MAX_DELIVERY_ATTEMPTS - 1,
        },
      });
      await until(
        () => deliverDueWebhooks({ workspaceId: w.workspace.id }),
        audited(w.workspace.id, "escalation.notification_failed", escalationId),
      );
    },
    "lib/server/jobs/deliver-webhooks.ts#notifyOverdueEscalations": async (w) => {
      const { notifyOverdueEscalations } = await import("../jobs/deliver-webhooks");
      const escalationId = await w.newEscalation();
      await getDb().$executeRaw`UPDATE workflow_class SET ack_deadline_seconds = 60 WHERE id = ${w.workflowClass.id}`;
      await getDb()
        .$executeRaw`UPDATE escalation SET created_at = now() - interval '1 hour' WHERE id = ${escalationId}`;
      await until(() => notifyOverdueEscalations(), audited(w.workspace.id, "escalation.overdue", escalationId));
    },
  };

  it("has a case for every job", async () => {
    const found: string[] = [];
    for (const file of jobFiles) {
      for (const [name, value] of Object.entries(await importModule(file)))
        if (typeof value === "function") found.push(`${file}#${name}`);
    }
    expect(found.sort()).toEqual(Object.keys(JOB_CASES).sort());
  });

  for (const [id, run] of Object.entries(JOB_CASES)) {
    it(id.split("#")[1]!, async () => {
      await run(world);
    });
  }
});
