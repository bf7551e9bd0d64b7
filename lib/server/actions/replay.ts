import "server-only";
import {
  decideAction,
  VERDICT_OF_EFFECT,
  type ActionEffect,
  type ActionRule,
  type Verdict,
} from "@/lib/core/action-rules";
import { formatUsdDecimal } from "@/lib/core/money";
import { getDb, type Tx } from "../db";

/** How far back a replay looks, and how many requests it reads at most (the newest). */
export const REPLAY_DAYS = 7;
export const REPLAY_MAX_REQUESTS = 10_000;
/** The changed requests listed in full (the counts cover them all). */
export const REPLAY_MAX_LISTED = 200;

/** What a request came to: the three verdicts, or refused before any action existed (422: an estimate was required). */
export type ReplayVerdict = Verdict | "refused";

export type ReplayChange = {
  id: string;
  action: string;
  identity: string;
  workflowClass: string;
  at: string;
  estimateUsd: string | null;
  before: ReplayVerdict;
  after: ReplayVerdict;
  /** The deciding rule's name; null: the workspace default decided. */
  ruleBefore: string | null;
  ruleAfter: string | null;
};

export type ReplayResult = {
  since: string;
  /** Requests replayed. */
  total: number;
  /** More than REPLAY_MAX_REQUESTS were recorded: only the newest were replayed. */
  capped: boolean;
  changed: number;
  transitions: { from: ReplayVerdict; to: ReplayVerdict; count: number }[];
  /** The first REPLAY_MAX_LISTED changed requests, newest first. */
  changes: ReplayChange[];
  defaultEffect: ActionEffect;
};

type RecordedRow = {
  status: string;
  rule: unknown;
  decidedAt: Date | null;
  createdAt: Date;
};

/**
 * The verdict a recorded request got when it was asked, read from what the action kept (its
 * status has moved on since: an allowed action is now succeeded, a pending one approved). Denied
 * is final at once. Otherwise the action's copy of its deciding rule says which effect applied
 * (a deny rule only ever denies). With no copy the workspace's default decided, and the default
 * then may differ from today's: an action allowed at once was decided the moment it was created
 * (`decidedAt` = `createdAt`, lib/server/actions/request-action.ts), a pending one only later, by
 * a person, the deadline or a cancel — so that moment tells the two apart without the old default.
 */
export function recordedVerdict(row: RecordedRow): Verdict {
  if (row.status === "denied") return "denied";
  const effect = (row.rule as { effect?: unknown } | null)?.effect;
  if (effect === "require_approval") return "pending_approval";
  if (effect === "allow") return "allowed";
  return row.decidedAt !== null && row.decidedAt.getTime() === row.createdAt.getTime() ? "allowed" : "pending_approval";
}

/**
 * "What if these were the rules?" — the workspace's action requests of the last 7 days (the
 * newest 10 000) decided again by `draft` with `decideAction`, the one matcher the agent API uses,
 * and compared with the verdict each got then. Rate limits are not replayed (they depend on the
 * order and timing of what was admitted), nor spend budgets; a request refused with 429 or 422
 * then was never recorded. Reads only.
 */
export async function replayRules<R extends ActionRule>(input: {
  workspaceId: string;
  draft: readonly R[];
  defaultEffect: ActionEffect;
  now?: Date;
  db?: Tx | ReturnType<typeof getDb>;
  /** Tests lower it to see the cap at work. */
  maxRequests?: number;
}): Promise<ReplayResult> {
  const now = input.now ?? new Date();
  const max = input.maxRequests ?? REPLAY_MAX_REQUESTS;
  const since = new Date(now.getTime() - REPLAY_DAYS * 86_400_000);
  const rows = await (input.db ?? getDb()).action.findMany({
    where: { workspaceId: input.workspaceId, createdAt: { gte: since, lte: now } },
    orderBy: [{ createdAt: "desc" }, { id: "desc" }],
    take: max + 1,
    select: {
      id: true,
      action: true,
      status: true,
      estimateMicros: true,
      estimateTokens: true,
      rule: true,
      ruleName: true,
      decidedAt: true,
      createdAt: true,
      identity: { select: { name: true } },
      workflowClass: { select: { name: true } },
    },
  });
  const capped = rows.length > max;
  const replayed = capped ? rows.slice(0, max) : rows;

  const transitions = new Map<string, { from: ReplayVerdict; to: ReplayVerdict; count: number }>();
  const changes: ReplayChange[] = [];
  let changed = 0;
  for (const row of replayed) {
    const before = recordedVerdict(row);
    const decision = decideAction(
      input.draft,
      {
        action: row.action,
        workflowClass: row.workflowClass.name,
        estimate: {
          usd: row.estimateMicros,
          tokens: row.estimateTokens === null ? null : Number(row.estimateTokens),
        },
      },
      input.defaultEffect,
    );
    const after: ReplayVerdict = decision.refusal ? "refused" : VERDICT_OF_EFFECT[decision.effect];
    if (after === before) continue;
    changed++;
    const key = `${before}→${after}`;
    const transition = transitions.get(key) ?? { from: before, to: after, count: 0 };
    transition.count++;
    transitions.set(key, transition);
    if (changes.length < REPLAY_MAX_LISTED)
      changes.push({
        id: row.id,
        action: row.action,
        identity: row.identity.name,
        workflowClass: row.workflowClass.name,
        at: row.createdAt.toISOString(),
        estimateUsd: row.estimateMicros === null ? null : formatUsdDecimal(row.estimateMicros),
        before,
        after,
        ruleBefore: row.ruleName,
        ruleAfter: decision.rule?.name ?? null,
      });
  }
  return {
    since: since.toISOString(),
    total: replayed.length,
    capped,
    changed,
    transitions: [...transitions.values()].sort((a, b) => b.count - a.count),
    changes,
    defaultEffect: input.defaultEffect,
  };
}
