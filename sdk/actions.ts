import type { BaseKV, CallOptions } from "./client";
import { BaseKVError, isBaseKVError } from "./errors";
import { classifyError } from "./run-task";
import type {
  Action,
  ActionCost,
  ActionStatus,
  CancelActionBody,
  CompleteActionBody,
  GuardErrorCode,
  Json,
  RequestActionBody,
  WithMeta,
} from "./types";

/**
 * Actions — ask before acting (API.md): `client.actions.request / get / wait / complete / cancel`,
 * and `guard`, which does the whole round for one call of a function: ask, wait for people if
 * a rule says so, run the function once with the arguments they approved, report the outcome.
 */

/** The longest `?wait=` the server takes (API.md `GET /actions/{id}`). */
const MAX_WAIT_SECONDS = 30;
/** How long `wait` and `guard` wait for a decision unless told (15 minutes). */
export const DEFAULT_DECISION_TIMEOUT_SECONDS = 900;

export type WaitOptions = Omit<CallOptions, "idempotencyKey"> & {
  /** How long to wait in all (default 900 s; 0: one look). The action is returned still pending after it. */
  timeoutSeconds?: number;
};

const segment = (value: string) => encodeURIComponent(value);

export class ActionsApi {
  constructor(private readonly client: BaseKV) {}

  /**
   * `POST /actions` → the action: `status: "allowed"` (201: go ahead, then `complete`) or
   * `"pending_approval"` (202: `wait` for people). A denial throws `BaseKVError` `action_denied`
   * (`details.rule`, `details.actionId`). A replay of the same Idempotency-Key answers the first
   * answer again (`$meta.replayed`), which may be older than the action's status now: `get` it.
   */
  request(body: RequestActionBody, call?: CallOptions): Promise<WithMeta<Action>> {
    return this.client.request({ method: "POST", path: "/actions", body, call });
  }

  /** `GET /actions/{id}`: the action now. */
  get(id: string, call?: CallOptions): Promise<WithMeta<Action>> {
    return this.client.request({ method: "GET", path: `/actions/${segment(id)}`, call });
  }

  /**
   * Until the action is no longer `pending_approval`, or `timeoutSeconds` have passed: long-polls
   * of `GET /actions/{id}?wait=` (at most 30 s each; each counts 1 against the request budget).
   * Returns the action as it then is — check `status`.
   */
  async wait(id: string, options: WaitOptions = {}): Promise<WithMeta<Action>> {
    const { timeoutSeconds = DEFAULT_DECISION_TIMEOUT_SECONDS, ...call } = options;
    const deadline = Date.now() + Math.max(0, timeoutSeconds) * 1000;
    for (;;) {
      const remainingMs = deadline - Date.now();
      const wait = remainingMs <= 0 ? 0 : Math.min(MAX_WAIT_SECONDS, Math.ceil(remainingMs / 1000));
      const action = await this.client.request<Action>({
        method: "GET",
        path: `/actions/${segment(id)}`,
        query: { wait },
        call,
        // The server holds the answer up to `wait` seconds: the HTTP timeout must outlast it.
        extraTimeoutMs: wait * 1000,
      });
      if (action.status !== "pending_approval" || Date.now() >= deadline) return action;
    }
  }

  /**
   * `POST /actions/{id}/complete` (only from `allowed`): `succeeded` or `failed`, with the `actual`
   * cost (default: the estimate). Never refused for budget or mode: money spent is always recorded.
   */
  complete(id: string, body: CompleteActionBody, call?: CallOptions): Promise<WithMeta<Action>> {
    return this.client.request({ method: "POST", path: `/actions/${segment(id)}/complete`, body, call });
  }

  /** `POST /actions/{id}/cancel` (from `pending_approval` or `allowed`): the reservation is released. */
  cancel(id: string, body?: CancelActionBody, call?: CallOptions): Promise<WithMeta<Action>> {
    return this.client.request({ method: "POST", path: `/actions/${segment(id)}/cancel`, body: body ?? {}, call });
  }

  /** `guard(client, …)` on this client. */
  guard<A extends Json | undefined = Json | undefined, R extends Json | undefined = undefined>(
    action: string,
    options: GuardOptions<A, R>,
    fn: GuardFunction<A, R>,
  ): Promise<GuardResult<R>> {
    return guard(this.client, action, options, fn);
  }
}

// ——— guard ———

export type GuardOptions<
  A extends Json | undefined = Json | undefined,
  R extends Json | undefined = Json | undefined,
> = Omit<RequestActionBody, "action" | "arguments"> &
  Pick<CallOptions, "correlationId" | "reason" | "priority" | "signal" | "retry"> & {
    /** What the function will be called with (shown to approvers, who may edit them). */
    arguments?: A;
    /**
     * The cost to settle at, from what the function returned as `result` — e.g. a model call's
     * token usage — when the function did not return an `actual` of its own. `undefined` (or no
     * option): the server settles at the estimate. guard rounds every `usd` it sends (the
     * estimate, the actual) to the micro-dollar, the 6 decimals the server stores: a price ×
     * tokens in floats (0.006450000000000001) would be refused.
     */
    actual?: (result: R | undefined) => GuardCost | undefined;
    /** How long to wait for people's decision (default 900 s); then the action is cancelled and `approval_timeout` thrown. */
    timeoutSeconds?: number;
    /**
     * The key of this logical call (default: a fresh UUID). The request is sent with it, the
     * completion with `<key>:complete`, a cancellation with `<key>:cancel` — each reused by the
     * client's retries of that step, so none of them is ever done twice. At most 240 characters.
     */
    idempotencyKey?: string;
    /** Told once when people must decide (print where to approve it: the dashboard, the CLI). */
    onPending?: (action: Action) => void | Promise<void>;
  };

/** A cost as a function reports it: USD (any number ≥ 0; rounded to 6 decimals when sent) and tokens. */
export type GuardCost = { usd?: number; tokens?: number };

/** What the function may report: its `result` (JSON ≤ 64 KiB, stored on the action) and the `actual` cost. */
export type GuardOutcome<R extends Json | undefined = undefined> = { result?: R; actual?: ActionCost };

/**
 * Runs once the action is allowed, with the approved arguments (an approver's edit, else the
 * requested ones — an edit may change them: check what you are given).
 */
export type GuardFunction<A extends Json | undefined, R extends Json | undefined> = (
  approvedArguments: A,
  action: Action,
) => Promise<GuardOutcome<R> | void> | GuardOutcome<R> | void;

export type GuardResult<R extends Json | undefined> = {
  /** The action after its completion (`succeeded`). */
  action: WithMeta<Action>;
  /** What the function returned as `result`. */
  result: R | undefined;
};

const GUARD_CODES: Partial<Record<ActionStatus, GuardErrorCode>> = {
  rejected: "action_rejected",
  expired: "action_expired",
  cancelled: "action_cancelled",
  succeeded: "action_settled",
  failed: "action_settled",
  timed_out: "action_settled",
  pending_approval: "approval_timeout",
};

/**
 * One guarded call of `fn` (API.md "Actions"): `POST /actions`; if people must decide, wait up to
 * `timeoutSeconds` (then cancel and throw `approval_timeout`); a denial throws the API's
 * `action_denied`, an estimate that does not fit a spend budget the API's `spend_budget_exhausted`
 * (`details.budget`, `remaining`, `resetAt`; nothing reserved), a rejection, an expired approval or
 * a cancellation throw `BaseKVError`s with `action_rejected`, `action_expired`, `action_cancelled`
 * (`details.action` is the action) — each before `fn` runs. Once allowed, `fn` runs once with
 * `approvedArguments ?? arguments`; its outcome is reported — `succeeded` with what it returned
 * (`{ result, actual }`, or the `actual` option's cost of that result; neither: the estimate), or
 * `failed` with its error, which is then rethrown. An `actual` option that throws, or an actual
 * that is no cost (a negative or non-finite amount, fractional tokens), still completes the
 * action, at its estimate, and then throws a `TypeError`. A failure report that cannot be delivered is not raised over the function's own
 * error: the server settles an allowed action that is never completed at its deadline.
 */
export async function guard<A extends Json | undefined = Json | undefined, R extends Json | undefined = undefined>(
  client: BaseKV,
  action: string,
  options: GuardOptions<A, R>,
  fn: GuardFunction<A, R>,
): Promise<GuardResult<R>> {
  const {
    timeoutSeconds = DEFAULT_DECISION_TIMEOUT_SECONDS,
    idempotencyKey = crypto.randomUUID(),
    onPending,
    actual: actualOf,
    correlationId,
    reason,
    priority,
    signal,
    retry,
    ...request
  } = options;
  if (idempotencyKey.length > 240) throw new TypeError("guard: idempotencyKey is at most 240 characters");
  const call: CallOptions = { correlationId, reason, priority, signal, retry };

  const estimate = request.estimate && { ...request.estimate, usd: roundUsd(request.estimate.usd) };
  let current: Action = await client.actions.request(
    { ...request, ...(estimate ? { estimate } : {}), action },
    { ...call, idempotencyKey },
  );
  // A replay answers the first answer again: what matters is the status now.
  if ((current as WithMeta<Action>).$meta.replayed) current = await client.actions.get(current.id, call);
  if (current.status === "pending_approval") {
    await onPending?.(current);
    current = await client.actions.wait(current.id, { ...call, timeoutSeconds });
    if (current.status === "pending_approval") {
      current = await cancelUnlessDecided(client, current.id, `no decision within ${timeoutSeconds} s`, {
        ...call,
        idempotencyKey: `${idempotencyKey}:cancel`,
      });
      if (current.status === "cancelled")
        throw guardError("approval_timeout", current, `no decision within ${timeoutSeconds} s: cancelled`);
    }
  }
  if (current.status !== "allowed") throw guardError(GUARD_CODES[current.status] ?? "action_settled", current);

  const approved = (current.approvedArguments ?? current.arguments ?? options.arguments) as A;
  const completeCall = { ...call, idempotencyKey: `${idempotencyKey}:complete` };
  let outcome: GuardOutcome<R> | void;
  try {
    outcome = await fn(approved, current);
  } catch (error) {
    const { type, message } = classifyError(error);
    await client.actions
      .complete(current.id, { outcome: "failed", error: { type: type.slice(0, 64), message } }, completeCall)
      .catch(() => {});
    throw error;
  }
  // The function ran: whatever `actual` does, the action is completed (money spent is recorded).
  let actual: ActionCost | undefined;
  let unreadable: TypeError | undefined;
  try {
    actual = toActionCost(outcome?.actual ?? actualOf?.(outcome?.result));
  } catch (error) {
    unreadable = new TypeError(
      `guard: no actual cost for ${action} (${current.id}) — ${error instanceof Error ? error.message : String(error)}; it was settled at its estimate`,
      { cause: error },
    );
  }
  const completed = await client.actions.complete(
    current.id,
    {
      outcome: "succeeded",
      ...(actual === undefined ? {} : { actual }),
      ...(outcome?.result === undefined ? {} : { result: outcome.result }),
    },
    completeCall,
  );
  if (unreadable) throw unreadable;
  return { action: completed, result: outcome?.result };
}

/**
 * A reported cost as the API takes it: `usd` rounded to the micro-dollar (a price × tokens is
 * rarely a 6-decimal number, and the server refuses more decimals), `tokens` a whole number;
 * `undefined` when neither is given. Throws on what no rounding makes a cost (negative, not finite).
 */
function toActionCost(cost: GuardCost | undefined): ActionCost | undefined {
  if (cost === undefined || cost === null) return undefined;
  const { usd, tokens } = cost;
  if (usd !== undefined && !(Number.isFinite(usd) && usd >= 0))
    throw new TypeError(`actual.usd must be a finite number ≥ 0, got ${usd}`);
  if (tokens !== undefined && !(Number.isSafeInteger(tokens) && tokens >= 0))
    throw new TypeError(`actual.tokens must be a whole number ≥ 0, got ${tokens}`);
  if (usd === undefined && tokens === undefined) return undefined;
  return { ...(usd === undefined ? {} : { usd: roundUsd(usd) }), ...(tokens === undefined ? {} : { tokens }) };
}

/** To the micro-dollar: the nearest 6-decimal number (what the API takes). Anything else is left for the server to refuse. */
function roundUsd<T extends number | undefined>(usd: T): T {
  return (
    typeof usd === "number" && Number.isFinite(usd) && usd >= 0 ? Math.round(usd * 1_000_000) / 1_000_000 : usd
  ) as T;
}

/** Cancels a pending action; if people decided meanwhile (409), the action as they left it. */
async function cancelUnlessDecided(client: BaseKV, id: string, reason: string, call: CallOptions): Promise<Action> {
  try {
    return await client.actions.cancel(id, { reason }, call);
  } catch (error) {
    if (!isBaseKVError(error, "invalid_transition")) throw error;
    return client.actions.get(id, { ...call, idempotencyKey: undefined });
  }
}

function guardError(code: GuardErrorCode, action: Action, why?: string): BaseKVError {
  const decisive = [...action.approvals].reverse().find((a) => a.decision === "reject") ?? action.approvals.at(-1);
  const by = decisive ? ` by ${decisive.by.name ?? decisive.by.id}: "${decisive.reason}"` : "";
  const what: Record<GuardErrorCode, string> = {
    action_rejected: `rejected${by}`,
    action_expired: "expired: nobody decided before its approval deadline",
    action_cancelled: "cancelled",
    action_settled: `already ${action.status} (a replayed request)`,
    approval_timeout: why ?? "no decision in time",
  };
  return new BaseKVError({
    code,
    status: 0,
    message: `${action.action} (${action.id}) ${what[code]}`,
    details: { actionId: action.id, status: action.status, action },
  });
}
