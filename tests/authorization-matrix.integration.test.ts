import { randomBytes } from "node:crypto";
import { beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import type { ActionState } from "@/lib/action-state";
import type { Role } from "@/lib/core/roles";
import { getDb } from "@/lib/server/db";
import { issueCredential } from "@/lib/server/credentials/issue-credential";
import { createIdentity } from "@/lib/server/identities/create-identity";
import { startUserSession } from "@/lib/server/auth/user-sessions";
import { addMember } from "@/lib/server/members/add-member";
import { createUser } from "@/lib/server/users/create-user";
import { createWorkflowClass } from "@/lib/server/workflow-classes/create-workflow-class";
import { freezeActionPattern } from "@/lib/server/actions/rules";
import { agentRequest, deadLetterTask, pendingAction, requestTestAction, seedAgent, seedRule } from "./agent-fixtures";
import { discoverRouteHandlers, discoverServerActions, importEntry } from "./app-entry-points";
import { testActor } from "./fixtures";
import { form, session } from "./session-mock";

/**
 * The authorization matrix (issue #10): every server action and every
 * dashboard route handler, called as each role of the workspace, signed out,
 * as an admin of another workspace, and as an admin still on the one-time
 * password they were given (who may only choose a password). Exactly the cells marked allowed
 * succeed; every other cell is refused on the server and changes nothing (a
 * digest of every row the workspace owns is compared before and after; only
 * the refusal's own audit event is written). Actions that take IDs are also
 * called by another workspace's admin, in their own workspace, with this
 * workspace's IDs: refused as not found (nothing says the ID exists), nothing
 * changed on either side. A new action or route without a row fails the suite.
 *
 * The agent API's half: another workspace's key against this workspace's keys,
 * namespaces and tasks — 404 (never 403), nothing read, nothing changed.
 */
vi.mock("@/lib/server/auth/config", () => import("./session-mock"));
vi.mock("next/cache", () => ({ revalidatePath: () => {} }));
// app/auth-actions.ts imports Auth.js only for its error class, which cannot load outside Next.
vi.mock("next-auth", () => ({ AuthError: class AuthError extends Error {} }));

type Cell = Role | "signedOut" | "outsider" | "oneTimePassword";
const CELLS: Cell[] = ["admin", "operator", "auditor", "viewer", "signedOut", "outsider", "oneTimePassword"];
type Action = (state: ActionState | undefined, data: FormData) => Promise<ActionState>;
type World = Awaited<ReturnType<typeof buildWorld>>;

const unique = (label: string) => `${label}-${randomBytes(3).toString("hex")}`;
const note = "authorization matrix";
const ADMIN = ["admin"] as const;
const ESCALATIONS = ["admin", "operator"] as const;
const AUDIT = ["admin", "auditor"] as const;
const APPROVERS = ["admin", "operator"] as const;
const EVERY_MEMBER = ["admin", "operator", "auditor", "viewer"] as const;

async function buildWorld() {
  const a = await seedAgent();
  const b = await seedAgent(); // the outsider's workspace: its admin is no member of A
  const user = async (slug: string, role: Role) =>
    (
      await createUser({
        actor: testActor,
        email: `${unique(`matrix-${role}`)}@example.test`,
        password: `pw-${randomBytes(8).toString("hex")}`,
        workspaceSlug: slug,
        role,
      })
    ).userId;
  const users: Record<Cell, string | null> = {
    admin: a.members.admin!.id,
    viewer: a.members.viewer!.id,
    operator: await user(a.workspace.slug, "operator"),
    auditor: await user(a.workspace.slug, "auditor"),
    signedOut: null,
    outsider: b.members.admin!.id,
    // An admin of A added with a one-time password, signed in with it and no further.
    oneTimePassword: (
      await addMember({
        workspaceId: a.workspace.id,
        actor: testActor,
        email: `${unique("matrix-otp")}@example.test`,
        role: "admin",
      })
    ).userId,
  };
  // Notifications are set on a class of their own, so no escalation here ever gets a webhook delivery
  // (other test files run the delivery job, which would change rows while a cell is measured).
  const quietClass = await createWorkflowClass({
    workspaceId: a.workspace.id,
    actor: testActor,
    name: "matrix-notify",
    maxAttempts: 3,
    initialIntervalMs: 1000,
    backoffCoefficient: 2,
    maxIntervalMs: 60000,
    nonRetryableErrors: [],
    heartbeatTimeoutSeconds: 300,
  });
  const namespace = await getDb().namespace.findFirstOrThrow({
    where: { workspaceId: a.workspace.id, name: "billing.runs" },
  });
  return {
    a,
    b,
    slug: a.workspace.slug,
    users,
    quietClass,
    namespace,
    newMember: (role: Role) => user(a.workspace.slug, role),
    newCredential: async () =>
      (
        await issueCredential({
          workspaceId: a.workspace.id,
          actor: testActor,
          identityId: a.identity.id,
          expiresInSeconds: 3600,
        })
      ).id,
    newEscalation: async () => (await deadLetterTask(a)).escalation.id,
    newIdentity: async () =>
      (
        await createIdentity({
          workspaceId: a.workspace.id,
          actor: testActor,
          name: unique("bot"),
          workflowClass: "invoices",
          grants: [{ pattern: "billing.*", access: "read" }],
        })
      ).id,
  };
}

const policy = {
  maxAttempts: "3",
  initialIntervalMs: "1000",
  backoffCoefficient: "2",
  maxIntervalMs: "60000",
  nonRetryableErrors: "validation",
  heartbeatTimeoutSeconds: "300",
};

/**
 * One row per server action: who may run it (the rest must be refused), and the
 * form an allowed person would submit. `ids`: the form names objects of the
 * workspace, so another workspace's admin is also tried with them.
 */
type Row = {
  allowed: readonly Role[];
  ids?: true;
  /** Reads only (its record is the audit event): the digest stays the same even when it succeeds. */
  readOnly?: true;
  form: (w: World) => Promise<Record<string, string>>;
};
const ACTIONS: Record<string, Row> = {
  "app/(dashboard)/w/[workspace]/audit/actions.ts#verifyAuditChainAction": {
    allowed: AUDIT,
    readOnly: true,
    form: async (w) => ({ workspace: w.slug }),
  },
  "app/(dashboard)/w/[workspace]/budgets/actions.ts#saveBudgetAction": {
    allowed: ADMIN,
    form: async (w) => ({
      workspace: w.slug,
      dailyRequestLimit: "123456",
      degradeAtPercent: "70",
      stopMessage: "stopped by the matrix",
      timeZone: "UTC",
      reason: note,
    }),
  },
  "app/(dashboard)/w/[workspace]/budgets/actions.ts#killSwitchAction": {
    allowed: ADMIN,
    form: async (w) => ({ workspace: w.slug, on: "false", reason: note }),
  },
  "app/(dashboard)/w/[workspace]/budgets/actions.ts#writeCeilingAction": {
    allowed: ADMIN,
    ids: true,
    form: async (w) => ({ workspace: w.slug, credentialId: await w.newCredential(), ceiling: "77", reason: note }),
  },
  // Spend budgets (issue #21): a new limit per call, so every allowed call changes a row.
  "app/(dashboard)/w/[workspace]/budgets/actions.ts#workspaceSpendLimitsAction": {
    allowed: ADMIN,
    form: async (w) => ({
      workspace: w.slug,
      dailyUsd: `${1 + Math.floor(Math.random() * 1e6)}.25`,
      monthlyUsd: "",
      dailyTokens: String(1 + Math.floor(Math.random() * 1e9)),
      reason: note,
    }),
  },
  "app/(dashboard)/w/[workspace]/budgets/actions.ts#classSpendLimitAction": {
    allowed: ADMIN,
    ids: true,
    form: async (w) => ({
      workspace: w.slug,
      id: w.quietClass.id,
      dailyUsd: `${1 + Math.floor(Math.random() * 1e6)}.5`,
      reason: note,
    }),
  },
  "app/(dashboard)/w/[workspace]/budgets/actions.ts#keySpendLimitAction": {
    allowed: ADMIN,
    ids: true,
    form: async (w) => ({ workspace: w.slug, id: await w.newCredential(), dailyUsd: "7.000001", reason: note }),
  },
  "app/(dashboard)/w/[workspace]/escalations/actions.ts#acknowledgeAction": {
    allowed: ESCALATIONS,
    ids: true,
    form: async (w) => ({ workspace: w.slug, escalationId: await w.newEscalation(), note }),
  },
  "app/(dashboard)/w/[workspace]/escalations/actions.ts#reassignAction": {
    allowed: ESCALATIONS,
    ids: true,
    form: async (w) => ({
      workspace: w.slug,
      escalationId: await w.newEscalation(),
      note,
      assigneeUserId: w.users.operator!,
    }),
  },
  "app/(dashboard)/w/[workspace]/escalations/actions.ts#addNoteAction": {
    allowed: ESCALATIONS,
    ids: true,
    form: async (w) => ({ workspace: w.slug, escalationId: await w.newEscalation(), note }),
  },
  "app/(dashboard)/w/[workspace]/escalations/actions.ts#redriveAction": {
    allowed: ESCALATIONS,
    ids: true,
    form: async (w) => ({ workspace: w.slug, escalationId: await w.newEscalation(), note }),
  },
  "app/(dashboard)/w/[workspace]/escalations/actions.ts#resolveAction": {
    allowed: ESCALATIONS,
    ids: true,
    form: async (w) => ({ workspace: w.slug, escalationId: await w.newEscalation(), note, output: '{"ok":true}' }),
  },
  "app/(dashboard)/w/[workspace]/escalations/actions.ts#cancelAction": {
    allowed: ESCALATIONS,
    ids: true,
    form: async (w) => ({ workspace: w.slug, escalationId: await w.newEscalation(), note }),
  },
  "app/(dashboard)/w/[workspace]/escalations/actions.ts#bulkAction": {
    allowed: ESCALATIONS,
    ids: true,
    form: async (w) => ({
      workspace: w.slug,
      action: "cancel",
      ids: `${await w.newEscalation()},${await w.newEscalation()}`,
      note,
    }),
  },
  "app/(dashboard)/w/[workspace]/identities/actions.ts#createIdentityAction": {
    allowed: ADMIN,
    form: async (w) => ({
      workspace: w.slug,
      name: unique("bot"),
      workflowClass: "invoices",
      grants: "billing.*:read",
    }),
  },
  "app/(dashboard)/w/[workspace]/identities/actions.ts#setGrantsAction": {
    allowed: ADMIN,
    ids: true,
    form: async (w) => ({ workspace: w.slug, identityId: await w.newIdentity(), grants: "*:readwrite", reason: note }),
  },
  "app/(dashboard)/w/[workspace]/identities/actions.ts#setIdentityStatusAction": {
    allowed: ADMIN,
    ids: true,
    form: async (w) => ({ workspace: w.slug, identityId: await w.newIdentity(), status: "disabled", reason: note }),
  },
  "app/(dashboard)/w/[workspace]/identities/actions.ts#issueCredentialAction": {
    allowed: ADMIN,
    ids: true,
    form: async (w) => ({ workspace: w.slug, identityId: await w.newIdentity(), expiresInSeconds: "3600" }),
  },
  "app/(dashboard)/w/[workspace]/identities/actions.ts#revokeCredentialAction": {
    allowed: ADMIN,
    ids: true,
    form: async (w) => ({ workspace: w.slug, credentialId: await w.newCredential(), reason: note }),
  },
  "app/(dashboard)/w/[workspace]/identities/actions.ts#rotateCredentialAction": {
    allowed: ADMIN,
    ids: true,
    form: async (w) => ({
      workspace: w.slug,
      credentialId: await w.newCredential(),
      overlapSeconds: "60",
      reason: note,
    }),
  },
  "app/(dashboard)/w/[workspace]/namespaces/actions.ts#createNamespaceAction": {
    allowed: ADMIN,
    form: async (w) => ({ workspace: w.slug, name: `matrix.${unique("ns").replace("-", "_")}` }),
  },
  "app/(dashboard)/w/[workspace]/namespaces/actions.ts#updateNamespaceAction": {
    allowed: ADMIN,
    ids: true,
    form: async (w) => ({
      workspace: w.slug,
      namespaceId: w.namespace.id,
      maxTtlSeconds: String(1000 + Math.floor(Math.random() * 1e6)),
      reason: note,
    }),
  },
  "app/(dashboard)/w/[workspace]/namespaces/[namespaceId]/actions.ts#deleteEntryAction": {
    allowed: ADMIN,
    ids: true,
    form: async (w) => {
      const key = unique("key");
      await getDb().$executeRaw`
        INSERT INTO kv_entry (workspace_id, namespace_id, key, value, version, updated_by_type, updated_by_name)
        VALUES (${w.a.workspace.id}, ${w.namespace.id}, ${key}, '{"n":1}'::jsonb, 1, 'cli', 'matrix')`;
      return { workspace: w.slug, namespaceId: w.namespace.id, key, reason: note };
    },
  },
  // ——— rules (issue #20): a rule of its own per call, so every call changes a row ———
  "app/(dashboard)/w/[workspace]/rules/actions.ts#createRuleAction": {
    allowed: ADMIN,
    form: async (w) => ({
      workspace: w.slug,
      name: unique("rule"),
      action: "payments.*",
      effect: "require_approval",
      approvalTimeout: "30m",
      reason: note,
    }),
  },
  "app/(dashboard)/w/[workspace]/rules/actions.ts#updateRuleAction": {
    allowed: ADMIN,
    ids: true,
    form: async (w) => ({
      workspace: w.slug,
      ruleId: (await seedRule(w.a, { name: unique("rule"), action: "payments.*", effect: "allow" })).id,
      name: unique("rule"),
      action: "payments.refund",
      effect: "allow",
      maxEstimateUsd: "12.5",
      requireEstimate: "on",
      reason: note,
    }),
  },
  "app/(dashboard)/w/[workspace]/rules/actions.ts#deleteRuleAction": {
    allowed: ADMIN,
    ids: true,
    form: async (w) => ({
      workspace: w.slug,
      ruleId: (await seedRule(w.a, { name: unique("rule"), action: "email.*", effect: "deny" })).id,
      reason: note,
    }),
  },
  "app/(dashboard)/w/[workspace]/rules/actions.ts#moveRuleAction": {
    allowed: ADMIN,
    ids: true,
    form: async (w) => {
      await seedRule(w.a, { name: unique("rule"), action: "email.*", effect: "deny" });
      const last = await seedRule(w.a, { name: unique("rule"), action: "email.send", effect: "allow" });
      return { workspace: w.slug, ruleId: last.id, position: "1", reason: note };
    },
  },
  "app/(dashboard)/w/[workspace]/rules/actions.ts#setRuleModeAction": {
    allowed: ADMIN,
    ids: true,
    form: async (w) => ({
      workspace: w.slug,
      ruleId: (await seedRule(w.a, { name: unique("rule"), action: "email.*", effect: "deny" })).id,
      mode: "shadow",
      reason: note,
    }),
  },
  "app/(dashboard)/w/[workspace]/rules/actions.ts#setDefaultEffectAction": {
    allowed: ADMIN,
    form: async (w) => {
      const { defaultActionEffect } = await getDb().workspace.findUniqueOrThrow({ where: { id: w.a.workspace.id } });
      // Never "allow" here: the matrix's workspace stays fail-closed.
      return {
        workspace: w.slug,
        defaultActionEffect: defaultActionEffect === "deny" ? "require_approval" : "deny",
        reason: note,
      };
    },
  },
  "app/(dashboard)/w/[workspace]/rules/actions.ts#previewRulesAction": {
    allowed: ADMIN,
    readOnly: true,
    form: async (w) => ({
      workspace: w.slug,
      draft: JSON.stringify([{ id: null, rule: { name: "all", action: "*", effect: "allow" } }]),
      defaultEffect: "deny",
    }),
  },
  "app/(dashboard)/w/[workspace]/settings/members/actions.ts#addMemberAction": {
    allowed: ADMIN,
    form: async (w) => ({ workspace: w.slug, email: `${unique("matrix-new")}@example.test`, role: "viewer" }),
  },
  "app/(dashboard)/w/[workspace]/settings/members/actions.ts#changeMemberRoleAction": {
    allowed: ADMIN,
    ids: true,
    form: async (w) => ({ workspace: w.slug, userId: await w.newMember("viewer"), role: "admin", reason: note }),
  },
  "app/(dashboard)/w/[workspace]/settings/members/actions.ts#removeMemberAction": {
    allowed: ADMIN,
    ids: true,
    form: async (w) => ({ workspace: w.slug, userId: await w.newMember("viewer"), reason: note }),
  },
  "app/(dashboard)/w/[workspace]/settings/members/actions.ts#signOutMemberEverywhereAction": {
    allowed: ADMIN,
    ids: true,
    form: async (w) => {
      // A member with a live session, so that signing them out changes a row.
      const userId = await w.newMember("viewer");
      await startUserSession({ userId });
      return { workspace: w.slug, userId, reason: note };
    },
  },
  "app/(dashboard)/w/[workspace]/workflows/actions.ts#createWorkflowClassAction": {
    allowed: ADMIN,
    form: async (w) => ({ workspace: w.slug, name: unique("cls"), ...policy }),
  },
  "app/(dashboard)/w/[workspace]/workflows/actions.ts#updateWorkflowClassAction": {
    allowed: ADMIN,
    ids: true,
    form: async (w) => ({
      workspace: w.slug,
      classId: w.quietClass.id,
      ...policy,
      maxAttempts: String(2 + Math.floor(Math.random() * 8)),
      reason: note,
    }),
  },
  "app/(dashboard)/w/[workspace]/workflows/actions.ts#setNotificationsAction": {
    allowed: ADMIN,
    ids: true,
    form: async (w) => ({
      workspace: w.slug,
      classId: w.quietClass.id,
      webhookUrl: `http://127.0.0.1:9/${unique("hook")}`,
      reason: note,
    }),
  },
  // Actions (issue #20): the approvals queue and the action page. A new pending action per call;
  // freezes on action names of their own, so no other row's requests are denied by them.
  "app/(dashboard)/w/[workspace]/approvals/actions.ts#approveAction": {
    allowed: APPROVERS,
    ids: true,
    form: async (w) => ({
      workspace: w.slug,
      actionId: (await pendingAction(w.a)).id,
      reason: note,
      arguments: '{"order": 123, "amount": 1}',
    }),
  },
  "app/(dashboard)/w/[workspace]/approvals/actions.ts#rejectAction": {
    allowed: APPROVERS,
    ids: true,
    form: async (w) => ({ workspace: w.slug, actionId: (await pendingAction(w.a)).id, reason: note }),
  },
  "app/(dashboard)/w/[workspace]/approvals/actions.ts#bulkRejectAction": {
    allowed: APPROVERS,
    ids: true,
    form: async (w) => ({
      workspace: w.slug,
      ids: `${(await pendingAction(w.a)).id},${(await pendingAction(w.a)).id}`,
      reason: note,
    }),
  },
  "app/(dashboard)/w/[workspace]/approvals/actions.ts#freezePatternAction": {
    allowed: APPROVERS,
    ids: true,
    form: async (w) => ({
      workspace: w.slug,
      actionId: (await requestTestAction(w.a, { action: `matrix.${unique("f").replace("-", "")}.send` })).id,
      scope: "exact",
      reason: note,
    }),
  },
  "app/(dashboard)/w/[workspace]/approvals/actions.ts#liftFreezeAction": {
    allowed: APPROVERS,
    form: async (w) => {
      const pattern = `matrix.${unique("l").replace("-", "")}.*`;
      await freezeActionPattern({ workspaceId: w.a.workspace.id, actor: testActor, reason: note, pattern });
      return { workspace: w.slug, pattern, reason: note };
    },
  },
  "app/(dashboard)/w/[workspace]/approvals/actions.ts#disableIdentityAction": {
    allowed: APPROVERS,
    ids: true,
    form: async (w) => ({ workspace: w.slug, identityId: await w.newIdentity(), reason: note }),
  },
};

/**
 * A person's own account, not a workspace: signed-out callers are refused, anyone signed in acts on
 * themselves only (no input names another user). Sign-in itself is public by design — its guard is
 * the lockout (lib/core/lockout.test.ts, lib/server/auth/*.integration.test.ts, e2e/ui/sign-in.spec.ts).
 */
const ACCOUNT_ACTIONS = [
  "app/auth-actions.ts#signInAction",
  "app/auth-actions.ts#signOutAction",
  "app/auth-actions.ts#changePasswordAction",
];

/** Route handlers outside the agent API (which authenticates keys, tested below and in lib/server/agent-api). */
const DASHBOARD_ROUTES: Record<string, { allowed: readonly Role[]; shows?: string }> = {
  "app/(dashboard)/w/[workspace]/audit/export/route.ts#GET": { allowed: AUDIT },
  // The Budgets page's spend CSV (issue #21): any member reads spend; an allowed answer is its header.
  "app/(dashboard)/w/[workspace]/budgets/export/route.ts#GET": {
    allowed: EVERY_MEMBER,
    shows: "day,class,action,actions,spent_usd,reserved_usd,spent_tokens,overruns",
  },
  // The nav badge's count (issue #20): any member; answers { workspaceId, pending }.
  "app/(dashboard)/w/[workspace]/approvals/count/route.ts#GET": { allowed: EVERY_MEMBER },
};
const NOT_SESSION_ROUTES: Record<string, string> = {
  "app/api/auth/[...nextauth]/route.ts#*":
    "Auth.js (session, CSRF token, sign-in guarded by the lockout, sign-out); needs Next to load",
  "app/api/health/route.ts#GET": "public liveness: status only, no data",
  "app/api/ping/route.ts#GET": "public, no database (the bench baseline)",
  "app/api/metrics/route.ts#GET": "METRICS_TOKEN bearer, 404 when unset (tested below)",
};

/** Every row the workspace owns, as one digest per table (audit events excluded: refusals are audited). */
async function digest(workspaceId: string): Promise<Record<string, string>> {
  const byWorkspace = [
    "namespace",
    "workflow_class",
    "identity",
    "credential",
    "kv_entry",
    "task",
    "escalation",
    "action",
    "action_rule",
  ];
  const parts = [
    `SELECT 'workspace' AS t, md5(coalesce(string_agg(x::text, ',' ORDER BY x::text), '')) AS d FROM workspace x WHERE id = $1`,
    `SELECT 'membership', md5(coalesce(string_agg(x::text, ',' ORDER BY x::text), '')) FROM membership x WHERE workspace_id = $1`,
    ...byWorkspace.map(
      (t) =>
        `SELECT '${t}', md5(coalesce(string_agg(x::text, ',' ORDER BY x::text), '')) FROM ${t} x WHERE workspace_id = $1`,
    ),
    `SELECT 'identity_grant', md5(coalesce(string_agg(x::text, ',' ORDER BY x::text), '')) FROM identity_grant x
       WHERE identity_id IN (SELECT id FROM identity WHERE workspace_id = $1)`,
    `SELECT 'idempotency_record', md5(coalesce(string_agg(x::text, ',' ORDER BY x::text), '')) FROM idempotency_record x
       WHERE identity_id IN (SELECT id FROM identity WHERE workspace_id = $1)`,
    `SELECT 'task_event', md5(coalesce(string_agg(x::text, ',' ORDER BY x::text), '')) FROM task_event x
       WHERE task_id IN (SELECT id FROM task WHERE workspace_id = $1)`,
    `SELECT 'escalation_note', md5(coalesce(string_agg(x::text, ',' ORDER BY x::text), '')) FROM escalation_note x
       WHERE escalation_id IN (SELECT id FROM escalation WHERE workspace_id = $1)`,
    `SELECT 'webhook_delivery', md5(coalesce(string_agg(x::text, ',' ORDER BY x::text), '')) FROM webhook_delivery x
       WHERE escalation_id IN (SELECT id FROM escalation WHERE workspace_id = $1)`,
    `SELECT 'action_approval', md5(coalesce(string_agg(x::text, ',' ORDER BY x::text), '')) FROM action_approval x
       WHERE action_id IN (SELECT id FROM action WHERE workspace_id = $1)`,
    `SELECT 'new users', count(*)::text FROM app_user WHERE email LIKE 'matrix-new-%'`,
    // Ended sessions of the workspace's members (starting one is what signing in — the test's too — does).
    `SELECT 'ended sessions', md5(coalesce(string_agg(x.id || ':' || x.revoked_at::text, ',' ORDER BY x.id), ''))
       FROM user_session x WHERE x.revoked_at IS NOT NULL
       AND x.user_id IN (SELECT user_id FROM membership WHERE workspace_id = $1)`,
  ];
  const rows = await getDb().$queryRawUnsafe<{ t: string; d: string }[]>(parts.join(" UNION ALL "), workspaceId);
  return Object.fromEntries(rows.map((r) => [r.t, r.d]));
}

async function lastAuditId(): Promise<bigint> {
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

const REFUSAL: Record<Cell, RegExp> = {
  admin: /./,
  operator: /^Your role does not allow this\.$/,
  auditor: /^Your role does not allow this\.$/,
  viewer: /^Your role does not allow this\.$/,
  signedOut: /^Your session has ended/,
  // Not a member: the workspace does not exist as far as they can tell.
  outsider: /^No such workspace\.$/,
  oneTimePassword: /^Choose your own password first/,
};

let world: World;
beforeAll(async () => {
  world = await buildWorld();
}, 120_000);
beforeEach(() => {
  session.userId = null;
});

describe("authorization matrix: server actions", () => {
  it("has a row for every server action in app/ (add one for a new action)", async () => {
    expect(await discoverServerActions()).toEqual([...Object.keys(ACTIONS), ...ACCOUNT_ACTIONS].sort());
  });

  for (const [id, row] of Object.entries(ACTIONS)) {
    const name = id.split("#")[1]!;
    for (const cell of CELLS) {
      const allowed = (row.allowed as readonly string[]).includes(cell);
      it(`${name} × ${cell}: ${allowed ? "succeeds" : "refused on the server, nothing changed, refusal audited"}`, async () => {
        const action = await importEntry<Action>(id);
        const fields = await row.form(world);
        const before = await digest(world.a.workspace.id);
        const beforeAudit = await lastAuditId();
        session.userId = world.users[cell];
        const result = await call(action, fields);
        if (allowed) {
          expect(result.ok, `${name} as ${cell}: ${result.message}`).toBe(true);
          // The digest sees the change (so it would see one made by a refused call).
          if (!row.readOnly) expect(await digest(world.a.workspace.id)).not.toEqual(before);
          return;
        }
        expect(result.ok, `${name} as ${cell} was not refused: ${result.message}`).toBe(false);
        expect(result.message).toMatch(REFUSAL[cell]);
        expect(await digest(world.a.workspace.id)).toEqual(before);
        const denials = await getDb().auditEvent.findMany({
          where: { id: { gt: beforeAudit }, target: world.slug, actorId: world.users[cell] },
          select: { outcome: true, workspaceId: true },
        });
        expect(denials).toEqual([
          {
            outcome: "denied",
            // Refused before the workspace is looked at: not signed in, not a member, no password of one's own yet.
            workspaceId: ["signedOut", "outsider", "oneTimePassword"].includes(cell) ? null : world.a.workspace.id,
          },
        ]);
      });
    }
    if (row.ids) {
      it(`${name} by another workspace's admin, in their workspace, with this workspace's IDs: not found, nothing changed`, async () => {
        const action = await importEntry<Action>(id);
        const fields = { ...(await row.form(world)), workspace: world.b.workspace.slug };
        const before = [await digest(world.a.workspace.id), await digest(world.b.workspace.id)];
        session.userId = world.users.outsider;
        const result = await call(action, fields);
        // Refused — or, for a bulk action that reports each item, "0 of N" changed.
        expect(result.ok === false || /\b0 of \d+\b/.test(result.message ?? ""), `${name}: ${result.message}`).toBe(
          true,
        );
        // Not found, never "forbidden": the ID's existence in another workspace is not revealed.
        expect(result.message).toMatch(/no such|not a member|not found|does not exist|Not changed/i);
        expect(result.message).not.toMatch(/role|allow|another workspace/i);
        expect([await digest(world.a.workspace.id), await digest(world.b.workspace.id)]).toEqual(before);
      });
    }
  }

  it("account actions: signed out, changing a password is refused (sent to /login) and changes nothing", async () => {
    const changePassword = await importEntry<Action>("app/auth-actions.ts#changePasswordAction");
    const before = await getDb().user.findMany({
      where: { id: { in: Object.values(world.users).filter(Boolean) as string[] } },
    });
    session.userId = null;
    // Signed out, it sends the caller to the sign-in page before reading the form.
    const refused = await changePassword(
      undefined,
      form({
        currentPassword: "whatever-it-was",
        newPassword: "a-brand-new-password-42",
        confirmPassword: "a-brand-new-password-42",
      }),
    ).then(
      () => "no redirect",
      (error: { digest?: string }) => String(error.digest),
    );
    expect(refused).toMatch(/^NEXT_REDIRECT;\w+;\/login;/);
    expect(
      await getDb().user.findMany({ where: { id: { in: Object.values(world.users).filter(Boolean) as string[] } } }),
    ).toEqual(before);
  });
});

describe("password rules (changePasswordAction, signed in as oneself)", () => {
  it("refuses a new password under 12 or over 200 characters, a mismatch, the same password, a wrong current one — hash unchanged", async () => {
    const changePassword = await importEntry<Action>("app/auth-actions.ts#changePasswordAction");
    const email = `${unique("matrix-pw")}@example.test`;
    const current = `pw-${randomBytes(8).toString("hex")}`;
    const { userId } = await createUser({
      actor: testActor,
      email,
      password: current,
      workspaceSlug: world.slug,
      role: "viewer",
    });
    const hash = async () => (await getDb().user.findUniqueOrThrow({ where: { id: userId } })).passwordHash;
    const before = await hash();
    session.userId = userId;
    const attempts: [string, Record<string, string>][] = [
      ["11 characters", { currentPassword: current, newPassword: "x".repeat(11), confirmPassword: "x".repeat(11) }],
      ["201 characters", { currentPassword: current, newPassword: "x".repeat(201), confirmPassword: "x".repeat(201) }],
      [
        "mismatch",
        { currentPassword: current, newPassword: "a-good-new-password", confirmPassword: "a-good-new-passwore" },
      ],
      ["same as current", { currentPassword: current, newPassword: current, confirmPassword: current }],
      [
        "wrong current",
        {
          currentPassword: "not-it-at-all",
          newPassword: "a-good-new-password",
          confirmPassword: "a-good-new-password",
        },
      ],
    ];
    for (const [label, fields] of attempts) {
      const result = await call(changePassword, fields);
      expect(result.ok, label).toBe(false);
      expect(await hash(), label).toBe(before);
    }
    const ok = await call(changePassword, {
      currentPassword: current,
      newPassword: "a-good-new-password",
      confirmPassword: "a-good-new-password",
    });
    expect(ok.ok).toBe(true);
    expect(await hash()).not.toBe(before);
  });
});

describe("authorization matrix: route handlers outside the agent API", () => {
  it("has a row for every route handler outside /api/v1 (add one for a new route)", async () => {
    expect(
      await discoverRouteHandlers(
        (f) => !f.startsWith("app/api/v1/"),
        (f) => f.startsWith("app/api/auth/"),
      ),
    ).toEqual([...Object.keys(DASHBOARD_ROUTES), ...Object.keys(NOT_SESSION_ROUTES)].sort());
  });

  const STATUS: Record<Cell, number> = {
    admin: 200,
    operator: 403,
    auditor: 403,
    viewer: 403,
    signedOut: 401,
    outsider: 404,
    oneTimePassword: 403,
  };
  for (const [id, row] of Object.entries(DASHBOARD_ROUTES)) {
    for (const cell of CELLS) {
      const allowed = (row.allowed as readonly string[]).includes(cell);
      it(`${id.split("/").slice(-3).join("/")} × ${cell}: ${allowed ? 200 : STATUS[cell]}`, async () => {
        const handler =
          await importEntry<(r: Request, c: { params: Promise<{ workspace: string }> }) => Promise<Response>>(id);
        const before = await digest(world.a.workspace.id);
        session.userId = world.users[cell];
        const response = await handler(new Request(`http://localhost/w/${world.slug}/audit/export?format=ndjson`), {
          params: Promise.resolve({ workspace: world.slug }),
        });
        const text = await response.text();
        expect(response.status, text.slice(0, 200)).toBe(allowed ? 200 : STATUS[cell]);
        if (!allowed) expect(text).not.toContain(world.a.workspace.id);
        else expect(text).toContain(row.shows ?? world.a.workspace.id);
        expect(await digest(world.a.workspace.id)).toEqual(before);
      });
    }
  }

  it("GET /api/metrics without METRICS_TOKEN answers 404, with or without a session", async () => {
    const { GET } = await import("@/app/api/metrics/route");
    session.userId = world.users.admin;
    const response = await GET(new Request("http://localhost/api/metrics", { headers: { Authorization: "Bearer x" } }));
    expect(response.status).toBe(404);
  });
});

describe("the agent API across workspaces: another workspace's key finds nothing (404, never 403), changes nothing", () => {
  type Route = (r: Request, c: { params: Promise<Record<string, string>> }) => Promise<Response>;
  const noParams = { params: Promise.resolve({}) };

  it("KV: A's keys and A-only namespaces are not found with B's key; A's entries are untouched", async () => {
    const kv = await import("@/app/api/v1/kv/[namespace]/[key]/route");
    const list = await import("@/app/api/v1/kv/[namespace]/route");
    const { createNamespace } = await import("@/lib/server/namespaces/create-namespace");
    await createNamespace({
      workspaceId: world.a.workspace.id,
      actor: testActor,
      name: "billing.a_only",
      defaultTtlSeconds: null,
      maxTtlSeconds: null,
    });
    const secret = unique("a-secret");
    for (const ns of ["billing.runs", "billing.a_only"]) {
      const put = await kv.PUT(
        agentRequest(`/api/v1/kv/${ns}/${secret}`, world.a.key, { method: "PUT", body: '{"value":{"pin":1234}}' }),
        noParams,
      );
      expect(put.status).toBe(201);
    }
    const before = await digest(world.a.workspace.id);
    const bKey = world.b.key;
    for (const ns of ["billing.runs", "billing.a_only"]) {
      const path = `/api/v1/kv/${ns}/${secret}`;
      const calls: [string, Route, RequestInit][] = [
        ["GET", kv.GET as Route, {}],
        ["DELETE", kv.DELETE as Route, { method: "DELETE" }],
        ["DELETE If-Match", kv.DELETE as Route, { method: "DELETE", headers: { "If-Match": '"1"' } }],
        ["PUT If-Match", kv.PUT as Route, { method: "PUT", body: '{"value":0}', headers: { "If-Match": '"1"' } }],
      ];
      for (const [label, route, init] of calls) {
        const response = await route(agentRequest(path, bKey, init as never), noParams);
        const text = await response.text();
        expect([404, 412], `${label} ${path}: ${text}`).toContain(response.status);
        if (response.status === 412) expect(JSON.parse(text).error.details.currentVersion).toBeNull();
        expect(text).not.toContain("1234");
      }
      const listed = await list.GET(agentRequest(`/api/v1/kv/${ns}?prefix=a-secret`, bKey), noParams);
      const text = await listed.text();
      expect([200, 404]).toContain(listed.status);
      expect(text).not.toContain(secret);
    }
    expect(await digest(world.a.workspace.id)).toEqual(before);
  });

  it("tasks: A's task is not found with B's key (read, events), absent from B's list; A's task is untouched", async () => {
    const tasks = await import("@/app/api/v1/tasks/route");
    const task = await import("@/app/api/v1/tasks/[id]/route");
    const events = await import("@/app/api/v1/tasks/[id]/events/route");
    const created = await tasks.POST(
      agentRequest("/api/v1/tasks", world.a.key, {
        method: "POST",
        body: '{"namespace":"billing.runs","input":{"pin":1234}}',
      }),
      noParams,
    );
    const id = ((await created.json()) as { id: string }).id;
    const before = await digest(world.a.workspace.id);
    const params = { params: Promise.resolve({ id }) };
    const read = await task.GET(agentRequest(`/api/v1/tasks/${id}`, world.b.key), params);
    expect(read.status).toBe(404);
    for (const type of ["started", "heartbeat", "committed", "escalate"]) {
      const sent = await events.POST(
        agentRequest(`/api/v1/tasks/${id}/events`, world.b.key, {
          method: "POST",
          body: JSON.stringify({ type, reason: "x" }),
        }),
        params,
      );
      expect(sent.status, type).toBe(404);
      expect(await sent.text()).not.toContain("1234");
    }
    const listed = await tasks.GET(agentRequest("/api/v1/tasks?limit=1000", world.b.key), noParams);
    expect(await listed.text()).not.toContain(id);
    expect(await digest(world.a.workspace.id)).toEqual(before);
  });

  it("GET /policy with B's key names B only", async () => {
    const { GET } = await import("@/app/api/v1/policy/route");
    const text = await (await GET(agentRequest("/api/v1/policy", world.b.key), noParams)).text();
    expect(text).toContain(world.b.workspace.id);
    expect(text).not.toContain(world.a.workspace.id);
  });
});
