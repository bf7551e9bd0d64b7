import "server-only";
import os from "node:os";
import { parseArgs, type ParseArgsConfig } from "node:util";
import { z } from "zod";
import { AppError, isAppError } from "@/lib/core/errors";
import { emailSchema, passwordSchema, roleSchema, workspaceSlugSchema } from "@/lib/validations/common";
import { createWorkspaceSchema, workspaceSettingsSchema, type WorkspaceSettings } from "@/lib/validations/workspace";
import { writeAudit, type Actor } from "../audit";
import { parseDuration } from "@/lib/core/duration";
import { cliDebug } from "@/lib/env";
import { getDb } from "../db";
import { createNamespace } from "../namespaces/create-namespace";
import { createWorkflowClass } from "../workflow-classes/create-workflow-class";
import { updateWorkflowClass } from "../workflow-classes/update-workflow-class";
import { limitValue, setSpendLimits, type SpendLimitChange } from "../budgets/spend-limits";
import { tokenLimitSchema, usdLimitSchema } from "@/lib/validations/budgets";
import { workspaceSelect } from "../workspaces/workspace-view";
import { createIdentity } from "../identities/create-identity";
import { setIdentityStatus } from "../identities/set-identity-status";
import { issueCredential } from "../credentials/issue-credential";
import { revokeCredential } from "../credentials/revoke-credential";
import { rotateCredential } from "../credentials/rotate-credential";
import {
  createIdentitySchema,
  createNamespaceSchema,
  createWorkflowClassSchema,
  resourceNameSchema,
  retryPolicySchema,
} from "@/lib/validations/identity";
import { createUser } from "../users/create-user";
import { noteSchema } from "@/lib/validations/escalations";
import { escalationSubject, listEscalations } from "../escalations/list-escalations";
import { acknowledgeEscalation } from "../escalations/acknowledge-escalation";
import { cancelEscalation } from "../escalations/cancel-escalation";
import { redriveEscalation } from "../escalations/redrive-escalation";
import { resolveEscalation } from "../escalations/resolve-escalation";
import { createWorkspace } from "../workspaces/create-workspace";
import { updateWorkspace } from "../workspaces/update-workspace";
import { auditFilterSchema } from "@/lib/validations/audit";
import { exportAudit } from "../audit-trail/export-audit";
import { makeCheckpoints } from "../audit-trail/checkpoint";
import { rotateSigningKey } from "../audit-trail/rotate-signing-key";
import { sealPendingEvents } from "../audit-trail/seal-events";
import { verifyWorkspaceChain } from "../audit-trail/verify-chain";
import { requestActionBodySchema, ruleInputSchema } from "@/lib/validations/actions";
import { toApiAction } from "../actions/action-view";
import { APPROVAL_QUEUE_LIMIT, listApprovalQueue } from "../actions/approval-queue";
import { decideOnAction, type Approver } from "../actions/decide-approval";
import { createRule, deleteRule, loadRules, ruleJson } from "../actions/rules";

/**
 * The admin CLI (API.md "Admin CLI"): each command prints one JSON document on
 * stdout and exits 0, or prints a one-line error on stderr and exits non-zero
 * having changed nothing. Every change is audited with actor type `cli`.
 */
export type CliResult = { code: number; stdout: string; stderr: string };

type Options = NonNullable<ParseArgsConfig["options"]>;
type Values = Record<string, string | boolean | string[] | undefined>;
type Command = { usage: string; options: Options; run: (values: Values, actor: Actor) => Promise<unknown> };

/** A command whose output is a stream of text (audit export), not one JSON document. */
class Streamed {
  constructor(readonly chunks: AsyncGenerator<string>) {}
}

const classOptions: Options = {
  workspace: { type: "string" },
  name: { type: "string" },
  description: { type: "string" },
  "max-attempts": { type: "string" },
  "initial-interval-ms": { type: "string" },
  backoff: { type: "string" },
  "max-interval-ms": { type: "string" },
  "non-retryable": { type: "string" },
  "heartbeat-timeout-s": { type: "string" },
  "daily-usd": { type: "string" },
};

/** A workflow class as the CLI shows it: its spend limit in USD, not micro-dollars. */
function classView<C extends { dailyUsdLimitMicros: bigint | null }>(c: C) {
  const { dailyUsdLimitMicros, ...rest } = c;
  return { ...rest, dailyUsd: limitValue("class.daily_usd", dailyUsdLimitMicros) };
}

const settingsOptions: Options = {
  name: { type: "string" },
  "daily-usd": { type: "string" },
  "monthly-usd": { type: "string" },
  "daily-tokens": { type: "string" },
  "daily-requests": { type: "string" },
  "degrade-at": { type: "string" },
  "stop-message": { type: "string" },
  timezone: { type: "string" },
  "max-key-ttl": { type: "string" },
  "default-action-effect": { type: "string" },
};

function settingsFrom(values: Values) {
  const str = (name: string) => values[name] as string | undefined;
  const int = (name: string) => {
    const raw = str(name);
    if (raw === undefined) return undefined;
    if (!/^\d+$/.test(raw)) throw new AppError("validation_failed", `--${name} must be a whole number, got "${raw}"`);
    return Number(raw);
  };
  const daily = str("daily-requests");
  return {
    name: str("name"),
    dailyRequestLimit: daily === undefined ? undefined : daily === "unlimited" ? null : int("daily-requests"),
    // Spend limits are not settings: workspaceSpendChanges reads them, setSpendLimits applies them.
    degradeAtPercent: int("degrade-at"),
    stopMessage: str("stop-message"),
    timeZone: str("timezone"),
    maxKeyTtlSeconds: seconds(values, "max-key-ttl"),
    defaultActionEffect: str("default-action-effect") as WorkspaceSettings["defaultActionEffect"],
  };
}

/** `--daily-usd 50 --monthly-usd none …` as spend limit changes (only the flags given; "none" clears). */
function workspaceSpendChanges(values: Values): SpendLimitChange[] {
  const changes: SpendLimitChange[] = [];
  const flag = (name: string) => values[name] as string | undefined;
  if (flag("daily-usd") !== undefined)
    changes.push({ budget: "workspace.daily_usd", limit: limitFlag(values, "daily-usd", usdLimitSchema) });
  if (flag("monthly-usd") !== undefined)
    changes.push({ budget: "workspace.monthly_usd", limit: limitFlag(values, "monthly-usd", usdLimitSchema) });
  if (flag("daily-tokens") !== undefined)
    changes.push({ budget: "workspace.daily_tokens", limit: limitFlag(values, "daily-tokens", tokenLimitSchema) });
  return changes;
}

/** One spend limit flag, parsed like the Budgets page's field (an empty value is refused here: say "none"). */
function limitFlag(values: Values, name: string, schema: typeof usdLimitSchema): bigint | null {
  const raw = values[name] as string;
  if (raw.trim() === "") throw new AppError("validation_failed", `--${name}: give an amount, or "none" for unlimited`);
  const result = schema.safeParse(raw);
  if (!result.success) throw new AppError("validation_failed", `--${name}: ${result.error.issues[0]!.message}`);
  return result.data;
}

/** A workspace as the CLI shows it, with its spend limits in the API's units. */
async function withSpendLimits<W extends { id: string }>(workspace: W) {
  const w = await getDb().workspace.findUniqueOrThrow({
    where: { id: workspace.id },
    select: { dailyUsdLimitMicros: true, monthlyUsdLimitMicros: true, dailyTokenLimit: true },
  });
  return {
    ...workspace,
    spend: {
      dailyUsd: limitValue("workspace.daily_usd", w.dailyUsdLimitMicros),
      monthlyUsd: limitValue("workspace.monthly_usd", w.monthlyUsdLimitMicros),
      dailyTokens: limitValue("workspace.daily_tokens", w.dailyTokenLimit),
    },
  };
}

function parse<S extends z.ZodType>(schema: S, value: unknown): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const field = issue.path.join(".");
  throw new AppError("validation_failed", `${field ? `${field}: ` : ""}${issue.message}`);
}

function dropUndefined<T extends Record<string, unknown>>(obj: T): Partial<T> {
  return Object.fromEntries(Object.entries(obj).filter(([, v]) => v !== undefined)) as Partial<T>;
}

async function workspaceId(slug: unknown): Promise<string> {
  const parsed = parse(workspaceSlugSchema, slug ?? "");
  const workspace = await getDb().workspace.findUnique({ where: { slug: parsed }, select: { id: true } });
  if (!workspace) throw new AppError("not_found", `No workspace "${parsed}".`);
  return workspace.id;
}

function seconds(values: Values, flag: string): number | undefined {
  const raw = values[flag] as string | undefined;
  if (raw === undefined) return undefined;
  const parsed = /^\d+$/.test(raw) ? Number(raw) : parseDuration(raw);
  if (!parsed || parsed <= 0)
    throw new AppError("validation_failed", `--${flag} must be a duration like 30s, 15m, 1h, 7d (got "${raw}")`);
  return parsed;
}

function identityStatusCommand(status: "active" | "disabled"): Command {
  const verb = status === "disabled" ? "disable" : "enable";
  return {
    usage: `identity ${verb} --workspace acme --name invoice-bot [--reason …]`,
    options: { workspace: { type: "string" }, name: { type: "string" }, reason: { type: "string" } },
    run: async (values, actor) =>
      setIdentityStatus({
        workspaceId: await workspaceId(values.workspace),
        actor,
        identityName: parse(resourceNameSchema, values.name ?? ""),
        status,
        reason: (values.reason as string | undefined) ?? `${verb}d from the admin CLI`,
      }),
  };
}

function escalationCommand(verb: "acknowledge" | "redrive" | "resolve" | "cancel"): Command {
  return {
    usage: `escalation ${verb} --id <escalation id> --note "…"${verb === "resolve" ? " --output JSON" : ""}`,
    options: {
      id: { type: "string" },
      note: { type: "string" },
      ...(verb === "resolve" ? { output: { type: "string" } } : {}),
    },
    run: async (values, actor) => {
      const id = values.id as string | undefined;
      if (!id) throw new AppError("validation_failed", "--id is required");
      const note = parse(noteSchema, values.note ?? "");
      const escalation = await getDb().escalation.findUnique({ where: { id }, select: { workspaceId: true } });
      if (!escalation) throw new AppError("not_found", "No such escalation.");
      const base = { workspaceId: escalation.workspaceId, escalationId: id, actor, note };
      if (verb === "resolve") {
        let output: unknown;
        try {
          output = JSON.parse((values.output as string | undefined) ?? "");
        } catch {
          throw new AppError("validation_failed", "--output must be JSON, e.g. '{\"approved\":true}'");
        }
        return resolveEscalation({ ...base, output });
      }
      return { acknowledge: acknowledgeEscalation, redrive: redriveEscalation, cancel: cancelEscalation }[verb](base);
    },
  };
}

// ——— actions: rules and approvals (API.md "Admin CLI additions") ———

function wholeNumber(values: Values, flag: string): number | undefined {
  const raw = values[flag] as string | undefined;
  if (raw === undefined) return undefined;
  if (!/^\d{1,9}$/.test(raw)) throw new AppError("validation_failed", `--${flag} must be a whole number, got "${raw}"`);
  return Number(raw);
}

const ruleOptions: Options = {
  workspace: { type: "string" },
  name: { type: "string" },
  action: { type: "string" },
  effect: { type: "string" },
  class: { type: "string" },
  "min-estimate-usd": { type: "string" },
  "max-estimate-usd": { type: "string" },
  mode: { type: "string" },
  message: { type: "string" },
  "approval-timeout": { type: "string" },
  "completion-timeout": { type: "string" },
  "required-approvals": { type: "string" },
  "require-estimate": { type: "boolean" },
  "rate-limit-count": { type: "string" },
  "rate-limit-usd": { type: "string" },
  position: { type: "string" },
  reason: { type: "string" },
};

/** The flags of `rule create` as `ruleInputSchema` reads a rule (the dashboard's form reads the same). */
function ruleFrom(values: Values) {
  const approvals = values["required-approvals"] as string | undefined;
  return parse(
    ruleInputSchema,
    dropUndefined({
      name: values.name ?? "",
      action: values.action ?? "",
      effect: values.effect ?? "",
      workflowClass: values.class,
      minEstimateUsd: values["min-estimate-usd"],
      maxEstimateUsd: values["max-estimate-usd"],
      mode: values.mode,
      message: values.message,
      approvalTimeoutSeconds: seconds(values, "approval-timeout"),
      completionTimeoutSeconds: seconds(values, "completion-timeout"),
      requiredApprovals: approvals === undefined ? undefined : /^\d+$/.test(approvals) ? Number(approvals) : approvals,
      requireEstimate: values["require-estimate"],
      rateLimitCount: wholeNumber(values, "rate-limit-count"),
      rateLimitUsd: values["rate-limit-usd"],
    }),
  );
}

function approvalCommand(decision: "approve" | "reject"): Command {
  return {
    usage:
      decision === "approve"
        ? `approval approve --id act_… --note "…" [--as user@email] [--arguments JSON]   → the action (edited arguments restart the count)`
        : `approval reject --id act_… --note "…" [--as user@email]   → the action`,
    options: {
      id: { type: "string" },
      note: { type: "string" },
      as: { type: "string" },
      ...(decision === "approve" ? { arguments: { type: "string" } } : {}),
    },
    run: async (values, actor) => {
      const id = values.id as string | undefined;
      if (!id) throw new AppError("validation_failed", "--id is required");
      if (values.note === undefined) throw new AppError("validation_failed", "--note is required: say why");
      const reason = parse(noteSchema, values.note);
      let editedArguments: unknown;
      if (values.arguments !== undefined) {
        let raw: unknown;
        try {
          raw = JSON.parse(values.arguments as string);
        } catch {
          throw new AppError("validation_failed", `--arguments must be JSON, e.g. '{"order":123,"amount":30}'`);
        }
        editedArguments = parse(requestActionBodySchema.shape.arguments, raw);
      }
      const action = await getDb().action.findUnique({ where: { id }, select: { workspaceId: true } });
      if (!action) throw new AppError("not_found", `No action "${id}".`);
      const approver = await approverFor(action.workspaceId, values.as as string | undefined);
      const row = await decideOnAction({
        workspaceId: action.workspaceId,
        actionId: id,
        approver,
        choice: decision === "approve" ? { decision, reason, editedArguments } : { decision, reason },
        actor,
      });
      return toApiAction(row);
    },
  };
}

/** `--as` names a member (the service checks they are an operator or admin); without it, the CLI approves. */
async function approverFor(workspaceId: string, as: string | undefined): Promise<Approver> {
  if (as === undefined) return { type: "cli", name: os.userInfo().username };
  const email = parse(emailSchema, as);
  const user = await getDb().user.findUnique({
    where: { email },
    select: {
      id: true,
      email: true,
      name: true,
      memberships: { where: { workspaceId }, select: { displayName: true } },
    },
  });
  if (!user) throw new AppError("not_found", `No user "${email}".`);
  return {
    type: "user",
    userId: user.id,
    name: user.memberships[0]?.displayName ?? user.name ?? user.email,
    via: "cli",
  };
}

const COMMANDS: Record<string, Command> = {
  "audit verify": {
    usage:
      "audit verify --workspace acme   → { ok, events, checkpoint, unanchoredTail } or { ok: false, firstBadEvent } (a full pass)",
    options: { workspace: { type: "string" } },
    run: async (values) => verifyWorkspaceChain(await workspaceId(values.workspace)),
  },
  "audit checkpoint": {
    usage: "audit checkpoint --workspace acme   → signs and anchors the chain's head now: { seq, hash, signature, … }",
    options: { workspace: { type: "string" } },
    run: async (values, actor) => {
      const id = await workspaceId(values.workspace);
      await sealPendingEvents({ wait: true, maxBatches: 10_000 });
      const [checkpoint] = await makeCheckpoints({ chainKey: id, force: true, wait: true });
      if (!checkpoint) throw new AppError("not_found", "This workspace's audit trail has no sealed events yet.");
      // In the trail of no workspace: an event in this chain would at once stand after its checkpoint.
      await writeAudit(getDb(), {
        workspaceId: null,
        actor,
        action: "audit.checkpointed",
        target: id,
        details: { seq: checkpoint.seq, hash: checkpoint.hash, keyId: checkpoint.keyId },
      });
      return checkpoint;
    },
  },
  "audit key": {
    usage:
      "audit key rotate   → a new signing key, cross-signed by the current one: { keyId, publicKey, previousKeyId, keyFile }",
    options: {},
    run: async (_values, actor) => rotateSigningKey({ actor }),
  },
  "audit export": {
    usage:
      "audit export --workspace acme [--format ndjson|csv] [--since ISO] [--until ISO] [--actor …] [--action …] [--namespace …] [--target …] [--correlation …] [--outcome …] [--q …]   (streams to stdout)",
    options: {
      workspace: { type: "string" },
      format: { type: "string" },
      since: { type: "string" },
      until: { type: "string" },
      actor: { type: "string" },
      "actor-type": { type: "string" },
      action: { type: "string" },
      namespace: { type: "string" },
      target: { type: "string" },
      correlation: { type: "string" },
      outcome: { type: "string" },
      q: { type: "string" },
    },
    run: async (values, actor) => {
      const format = (values.format as string | undefined) ?? "ndjson";
      if (format !== "ndjson" && format !== "csv")
        throw new AppError("validation_failed", `--format must be ndjson or csv, got "${format}"`);
      const filter = parse(
        auditFilterSchema,
        dropUndefined({
          from: values.since,
          to: values.until,
          actor: values.actor,
          actorType: values["actor-type"],
          action: values.action,
          namespace: values.namespace,
          target: values.target,
          correlation: values.correlation,
          outcome: values.outcome,
          q: values.q,
        }),
      );
      const id = await workspaceId(values.workspace);
      return new Streamed(await exportAudit({ workspaceId: id, filter, format, actor }));
    },
  },
  "namespace create": {
    usage:
      "namespace create --workspace acme --name billing.runs [--default-ttl SECONDS] [--max-ttl SECONDS] [--description …]",
    options: {
      workspace: { type: "string" },
      name: { type: "string" },
      description: { type: "string" },
      "default-ttl": { type: "string" },
      "max-ttl": { type: "string" },
    },
    run: async (values, actor) => {
      const input = parse(
        createNamespaceSchema,
        dropUndefined({
          workspace: values.workspace,
          name: values.name,
          description: values.description,
          defaultTtlSeconds: seconds(values, "default-ttl"),
          maxTtlSeconds: seconds(values, "max-ttl"),
        }),
      );
      return createNamespace({ ...input, workspaceId: await workspaceId(input.workspace), actor });
    },
  },
  "class create": {
    usage:
      "class create --workspace acme --name invoices [--max-attempts 3] [--initial-interval-ms 1000] [--backoff 2] [--max-interval-ms 60000] [--non-retryable a,b] [--heartbeat-timeout-s 300] [--daily-usd N|none]",
    options: classOptions,
    run: async (values, actor) => {
      const input = parse(createWorkflowClassSchema, {
        workspace: values.workspace,
        name: values.name,
        description: values.description,
        maxAttempts: values["max-attempts"] ?? 3,
        initialIntervalMs: values["initial-interval-ms"] ?? 1000,
        backoffCoefficient: values.backoff ?? 2,
        maxIntervalMs: values["max-interval-ms"] ?? 60000,
        nonRetryableErrors: values["non-retryable"] ?? "",
        heartbeatTimeoutSeconds: values["heartbeat-timeout-s"] ?? 300,
      });
      const dailyUsd = values["daily-usd"] === undefined ? null : limitFlag(values, "daily-usd", usdLimitSchema);
      const { workspace, ...rest } = input;
      const created = await createWorkflowClass({
        ...rest,
        workspaceId: await workspaceId(workspace),
        actor,
        dailyUsdLimitMicros: dailyUsd,
      });
      return classView(created);
    },
  },
  "class set": {
    usage:
      "class set --workspace acme --name invoices [the flags of class create, each optional] [--daily-usd N|none] [--reason …]",
    options: { ...classOptions, reason: { type: "string" } },
    run: async (values, actor) => {
      const name = parse(resourceNameSchema, values.name ?? "");
      const wsId = await workspaceId(values.workspace);
      const current = await getDb().workflowClass.findFirst({ where: { workspaceId: wsId, name } });
      if (!current) throw new AppError("not_found", `No workflow class "${name}" in this workspace.`);
      const policyFlags = [
        "max-attempts",
        "initial-interval-ms",
        "backoff",
        "max-interval-ms",
        "non-retryable",
        "heartbeat-timeout-s",
      ];
      const changesPolicy = policyFlags.some((flag) => values[flag] !== undefined);
      const dailyUsd = values["daily-usd"] === undefined ? undefined : limitFlag(values, "daily-usd", usdLimitSchema);
      if (!changesPolicy && dailyUsd === undefined)
        throw new AppError(
          "validation_failed",
          "nothing to change: give at least one flag of class create or --daily-usd",
        );
      const policy = parse(retryPolicySchema, {
        maxAttempts: values["max-attempts"] ?? current.maxAttempts,
        initialIntervalMs: values["initial-interval-ms"] ?? current.initialIntervalMs,
        backoffCoefficient: values.backoff ?? current.backoffCoefficient,
        maxIntervalMs: values["max-interval-ms"] ?? current.maxIntervalMs,
        nonRetryableErrors: values["non-retryable"] ?? current.nonRetryableErrors.join(","),
        heartbeatTimeoutSeconds: values["heartbeat-timeout-s"] ?? current.heartbeatTimeoutSeconds,
      });
      const reason = values.reason as string | undefined;
      if (changesPolicy)
        await updateWorkflowClass({ ...policy, workspaceId: wsId, actor, classId: current.id, reason });
      if (dailyUsd !== undefined)
        await setSpendLimits({
          workspaceId: wsId,
          actor,
          reason,
          changes: [{ budget: "class.daily_usd", classId: current.id, limit: dailyUsd }],
        });
      return classView(await getDb().workflowClass.findUniqueOrThrow({ where: { id: current.id } }));
    },
  },
  "identity create": {
    usage:
      "identity create --workspace acme --name invoice-bot --class invoices --grant 'billing.*:readwrite' [--grant …]",
    options: {
      workspace: { type: "string" },
      name: { type: "string" },
      class: { type: "string" },
      description: { type: "string" },
      grant: { type: "string", multiple: true },
    },
    run: async (values, actor) => {
      const input = parse(createIdentitySchema, {
        workspace: values.workspace,
        name: values.name,
        workflowClass: values.class,
        description: values.description,
        grants: ((values.grant as string[] | undefined) ?? []).join("\n"),
      });
      const identity = await createIdentity({
        ...input,
        grants: input.grants,
        workspaceId: await workspaceId(input.workspace),
        actor,
      });
      return {
        id: identity.id,
        name: identity.name,
        workflowClass: input.workflowClass,
        status: identity.status,
        grants: identity.grants,
      };
    },
  },
  "identity disable": identityStatusCommand("disabled"),
  "identity enable": identityStatusCommand("active"),
  "key create": {
    usage: "key create --workspace acme --identity invoice-bot [--expires-in 7d] [--daily-writes N] [--daily-usd N]",
    options: {
      workspace: { type: "string" },
      identity: { type: "string" },
      "expires-in": { type: "string" },
      "daily-writes": { type: "string" },
      "daily-usd": { type: "string" },
    },
    run: async (values, actor) => {
      const identityName = parse(resourceNameSchema, values.identity ?? "");
      const dailyUsd = values["daily-usd"] === undefined ? null : limitFlag(values, "daily-usd", usdLimitSchema);
      const dailyWrites = values["daily-writes"] as string | undefined;
      if (dailyWrites !== undefined && !/^[1-9]\d{0,9}$/.test(dailyWrites)) {
        throw new AppError("validation_failed", `--daily-writes must be a whole number above 0, got "${dailyWrites}"`);
      }
      const issued = await issueCredential({
        workspaceId: await workspaceId(values.workspace),
        actor,
        identityName,
        expiresInSeconds: seconds(values, "expires-in"),
        dailyWriteCeiling: dailyWrites === undefined ? null : Number(dailyWrites),
        dailyUsdLimitMicros: dailyUsd,
      });
      return {
        id: issued.id,
        key: issued.key,
        prefix: issued.prefix,
        expiresAt: issued.expiresAt,
        dailyUsd: limitValue("credential.daily_usd", dailyUsd),
      };
    },
  },
  "escalation list": {
    usage: "escalation list --workspace acme [--status open|acknowledged|resolved]",
    options: { workspace: { type: "string" }, status: { type: "string" } },
    run: async (values) => {
      const status = (values.status as string | undefined) ?? "open";
      if (!["open", "acknowledged", "resolved"].includes(status))
        throw new AppError("validation_failed", "--status must be open, acknowledged or resolved");
      const rows = await listEscalations(await workspaceId(values.workspace), {
        status: status as "open" | "acknowledged" | "resolved",
      });
      return {
        items: rows.map((r) => ({
          id: r.id,
          taskId: r.taskId,
          actionId: r.actionId,
          cause: r.cause,
          status: r.status,
          reason: r.reason,
          workflowClass: escalationSubject(r).workflowClass,
          taskStatus: r.task?.status ?? null,
          assignee: r.assignee?.email ?? null,
          resolution: r.resolution,
          createdAt: r.createdAt,
        })),
      };
    },
  },
  "escalation acknowledge": escalationCommand("acknowledge"),
  "escalation redrive": escalationCommand("redrive"),
  "escalation resolve": escalationCommand("resolve"),
  "escalation cancel": escalationCommand("cancel"),
  "key rotate": {
    usage: "key rotate --id <credential id> [--overlap 1h] [--reason …]   → the new key, once",
    options: { id: { type: "string" }, overlap: { type: "string" }, reason: { type: "string" } },
    run: async (values, actor) => {
      const id = values.id as string | undefined;
      if (!id) throw new AppError("validation_failed", "--id is required");
      const credential = await getDb().credential.findUnique({ where: { id }, select: { workspaceId: true } });
      if (!credential) throw new AppError("not_found", "No such key.");
      const overlap = values.overlap === "0" ? 0 : (seconds(values, "overlap") ?? 3600);
      const issued = await rotateCredential({
        workspaceId: credential.workspaceId,
        actor,
        credentialId: id,
        overlapSeconds: overlap,
        reason: (values.reason as string | undefined) ?? "rotated from the admin CLI",
      });
      return {
        id: issued.id,
        key: issued.key,
        prefix: issued.prefix,
        expiresAt: issued.expiresAt,
        previous: issued.previous,
      };
    },
  },
  "key revoke": {
    usage: "key revoke --id <credential id> [--reason …]",
    options: { id: { type: "string" }, reason: { type: "string" } },
    run: async (values, actor) => {
      const id = values.id as string | undefined;
      if (!id) throw new AppError("validation_failed", "--id is required");
      return revokeCredential({
        actor,
        credentialId: id,
        reason: (values.reason as string | undefined) ?? "revoked from the admin CLI",
      });
    },
  },

  "workspace create": {
    usage:
      "workspace create --slug acme [--name N] [--daily-requests N|unlimited] [--degrade-at 80] [--stop-message …] [--timezone UTC] [--max-key-ttl 90d] [--default-action-effect allow|deny|require_approval] [--daily-usd N|none] [--monthly-usd N|none] [--daily-tokens N|none]",
    options: { slug: { type: "string" }, ...settingsOptions },
    run: async (values, actor) => {
      const input = parse(createWorkspaceSchema, dropUndefined({ slug: values.slug, ...settingsFrom(values) }));
      const spend = workspaceSpendChanges(values);
      const workspace = await createWorkspace({ ...input, actor });
      await setSpendLimits({ workspaceId: workspace.id, actor, changes: spend });
      return withSpendLimits(workspace);
    },
  },
  "workspace set": {
    usage: "workspace set --slug acme [same flags as create] [--kill-switch on|off] [--reason …]",
    options: {
      slug: { type: "string" },
      "kill-switch": { type: "string" },
      reason: { type: "string" },
      ...settingsOptions,
    },
    run: async (values, actor) => {
      const slug = parse(workspaceSlugSchema, values.slug ?? "");
      const kill = values["kill-switch"] as string | undefined;
      if (kill !== undefined && kill !== "on" && kill !== "off") {
        throw new AppError("validation_failed", `--kill-switch must be on or off, got "${kill}"`);
      }
      const settings = parse(
        workspaceSettingsSchema,
        dropUndefined({ ...settingsFrom(values), killSwitch: kill === undefined ? undefined : kill === "on" }),
      );
      const spend = workspaceSpendChanges(values);
      if (Object.keys(settings).length === 0 && spend.length === 0)
        throw new AppError("validation_failed", "nothing to change: give at least one setting flag");
      const reason = values.reason as string | undefined;
      const id = await workspaceId(slug);
      const workspace =
        Object.keys(settings).length > 0
          ? await updateWorkspace({ slug, actor, settings, reason })
          : await getDb().workspace.findUniqueOrThrow({ where: { id }, select: workspaceSelect });
      await setSpendLimits({ workspaceId: id, actor, changes: spend, reason });
      return withSpendLimits(workspace);
    },
  },
  "user create": {
    usage: "user create --email a@b.c [--password …] [--name N] --workspace acme --role admin|operator|auditor|viewer",
    options: {
      email: { type: "string" },
      password: { type: "string" },
      name: { type: "string" },
      workspace: { type: "string" },
      role: { type: "string" },
    },
    run: async (values, actor) => {
      const input = parse(
        z.object({
          email: emailSchema,
          password: passwordSchema.optional(),
          name: z.string().trim().max(100).optional(),
          workspace: workspaceSlugSchema,
          role: roleSchema,
        }),
        dropUndefined({
          email: values.email,
          password: values.password,
          name: values.name,
          workspace: values.workspace,
          role: values.role,
        }),
      );
      return createUser({
        actor,
        email: input.email,
        password: input.password,
        name: input.name,
        workspaceSlug: input.workspace,
        role: input.role,
      });
    },
  },
  "rule create": {
    usage:
      "rule create --workspace acme --name refunds --action 'payments.*' --effect allow|deny|require_approval [--class invoices] [--min-estimate-usd N] [--max-estimate-usd N] [--mode enforce|shadow] [--message …] [--approval-timeout 1h] [--required-approvals 1|2] [--position N] [--completion-timeout 15m] [--require-estimate] [--rate-limit-count N] [--rate-limit-usd N]",
    options: ruleOptions,
    run: async (values, actor) => {
      const rule = ruleFrom(values);
      const position = wholeNumber(values, "position");
      if (position === 0) throw new AppError("validation_failed", "--position starts at 1 (the first rule)");
      return createRule({
        workspaceId: await workspaceId(values.workspace),
        actor,
        rule,
        position,
        reason: values.reason as string | undefined,
      });
    },
  },
  "rule list": {
    usage: "rule list --workspace acme   → { items: [rule…] } in order (position 1 decides first)",
    options: { workspace: { type: "string" } },
    run: async (values) => {
      const { rules } = await loadRules(getDb(), await workspaceId(values.workspace));
      return { items: rules.map(ruleJson) };
    },
  },
  "rule delete": {
    usage: "rule delete --workspace acme --name refunds [--reason …]   → the deleted rule",
    options: { workspace: { type: "string" }, name: { type: "string" }, reason: { type: "string" } },
    run: async (values, actor) => {
      const name = ((values.name as string | undefined) ?? "").trim();
      if (!name) throw new AppError("validation_failed", "--name is required");
      return deleteRule({
        workspaceId: await workspaceId(values.workspace),
        actor,
        name,
        reason: values.reason as string | undefined,
      });
    },
  },
  "approval list": {
    usage: `approval list --workspace acme [--status pending|decided]   → { items: [action…] }: pending oldest first (up to ${APPROVAL_QUEUE_LIMIT.pending}), decided newest first (the last ${APPROVAL_QUEUE_LIMIT.decided})`,
    options: { workspace: { type: "string" }, status: { type: "string" } },
    run: async (values) => {
      const status = (values.status as string | undefined) ?? "pending";
      if (status !== "pending" && status !== "decided")
        throw new AppError("validation_failed", `--status must be pending or decided, got "${status}"`);
      const rows = await listApprovalQueue(await workspaceId(values.workspace), status);
      return { items: rows.map(toApiAction) };
    },
  },
  "approval approve": approvalCommand("approve"),
  "approval reject": approvalCommand("reject"),
};

export function cliActor(): Actor {
  const user = os.userInfo().username;
  return { type: "cli", id: user, name: `cli:${user}@${os.hostname()}` };
}

export function usage(): string {
  return [
    "Usage: npm run admin -- <command> [flags]",
    "",
    ...Object.values(COMMANDS).map((c) => `  ${c.usage}`),
    `  batch   < one command per line as a JSON array of words → one line each: {"ok":true,"result":…} | {"ok":false,"code":N,"error":"…"}`,
  ].join("\n");
}

/** The CLI's JSON: ids and counters that are `bigint` in the database print as strings. */
const bigintAsString = (_key: string, v: unknown) => (typeof v === "bigint" ? v.toString() : v);

function toJson(value: unknown): string {
  return JSON.stringify(value, bigintAsString, 2);
}

/**
 * Runs one command. `write`, when given, receives streamed output (audit
 * export) as it is produced, with backpressure; otherwise it is collected
 * into `stdout`.
 */
export async function runAdminCli(
  argv: string[],
  actor: Actor = cliActor(),
  write?: (chunk: string) => Promise<void>,
): Promise<CliResult> {
  if (argv.length === 0 || argv[0] === "help" || argv[0] === "--help") {
    return {
      code: argv.length === 0 ? 2 : 0,
      stdout: argv.length === 0 ? "" : `${usage()}\n`,
      stderr: argv.length === 0 ? `${usage()}\n` : "",
    };
  }
  // "audit key rotate": a command of two words and its verb.
  const verbCommand = argv.slice(0, 2).join(" ") === "audit key";
  if (verbCommand && argv[2] !== "rotate")
    return { code: 2, stdout: "", stderr: `error: audit key takes one verb: rotate\n` };
  const name = argv.slice(0, 2).join(" ");
  const command = COMMANDS[name];
  if (!command) {
    return { code: 2, stdout: "", stderr: `error: unknown command "${name}" (npm run admin -- help lists them)\n` };
  }
  try {
    const { values, positionals } = parseArgs({
      args: argv.slice(verbCommand ? 3 : 2),
      options: command.options,
      strict: true,
      allowPositionals: true,
    });
    if (positionals.length) throw new AppError("validation_failed", `unexpected argument "${positionals[0]}"`);
    const result = await command.run(values as Values, actor);
    if (result instanceof Streamed) {
      let stdout = "";
      for await (const chunk of result.chunks) {
        if (write) await write(chunk);
        else stdout += chunk;
      }
      return { code: 0, stdout, stderr: "" };
    }
    return { code: 0, stdout: `${toJson(result)}\n`, stderr: "" };
  } catch (error) {
    if (cliDebug()) console.error(error);
    if (isAppError(error)) return { code: 1, stdout: "", stderr: `error: ${error.message}\n` };
    const usageError =
      error instanceof TypeError && String((error as { code?: unknown }).code).startsWith("ERR_PARSE_ARGS");
    const message =
      error instanceof Error ? (error.message.split("\n").find((line) => line.trim()) ?? error.name) : String(error);
    return usageError
      ? { code: 2, stdout: "", stderr: `error: ${message} (usage: ${command.usage})\n` }
      : {
          code: 3,
          stdout: "",
          stderr: `error: internal error (${error instanceof Error ? error.name : "unknown"}), nothing was changed; BASEKV_CLI_DEBUG=1 shows details\n`,
        };
  }
}

/**
 * `npm run admin -- batch`: one line of a batch — a command as a JSON array of its words,
 * e.g. `["workspace","create","--slug","acme"]` — run like `runAdminCli`, answered as one line:
 * `{"ok":true,"result":…}` (the command's JSON output) or `{"ok":false,"code":N,"error":"…"}`.
 * A batch runs in one process on one connection, so scripts that set up many things (and the
 * e2e suite) pay Node.js's start once, not per command. Blank lines are skipped (null).
 */
export async function runBatchLine(
  line: string,
  actor: Actor = cliActor(),
): Promise<{ ok: boolean; answer: string } | null> {
  if (!line.trim()) return null;
  const refused = (code: number, error: string) => ({ ok: false, answer: JSON.stringify({ ok: false, code, error }) });
  let argv: unknown;
  try {
    argv = JSON.parse(line);
  } catch {
    argv = null;
  }
  if (!Array.isArray(argv) || argv.length === 0 || !argv.every((word) => typeof word === "string")) {
    return refused(2, 'a batch line is a JSON array of words: ["workspace","list"]');
  }
  if (argv[0] === "batch") return refused(2, "batch does not nest");
  const result = await runAdminCli(argv as string[], actor);
  if (result.code !== 0) return refused(result.code, result.stderr.trim().replace(/^error: /, ""));
  let output: unknown = result.stdout.trim();
  try {
    output = JSON.parse(result.stdout);
  } catch {
    // Not one JSON document (help, an NDJSON export): the text as it is.
  }
  return { ok: true, answer: JSON.stringify({ ok: true, result: output }, bigintAsString) };
}
