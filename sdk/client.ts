import { ActionsApi } from "./actions";
import { BaseKVError } from "./errors";
import { encodeReason, ifMatch, parseEtag, parseGuardrail } from "./headers";
import { DEFAULT_RETRY, parseRetryAfter, retryDecision, type Outcome, type RetryOptions } from "./retry";
import type {
  ApiErrorCode,
  CreateTaskBody,
  Guardrail,
  Json,
  KvDeleteResult,
  KvEntry,
  KvListItem,
  KvListPage,
  KvPutResult,
  Policy,
  ResponseMeta,
  Task,
  TaskEventBody,
  TaskListPage,
  TaskStatus,
  TaskSummary,
  WithMeta,
} from "./types";

export type FetchLike = (input: string, init: RequestInit) => Promise<Response>;
export type Sleep = (ms: number, signal?: AbortSignal) => Promise<void>;

export type BaseKVOptions = {
  /** The server, e.g. `http://127.0.0.1:3000` (a trailing `/api/v1` is accepted too). */
  baseUrl: string;
  /** `bkv_…` */
  apiKey: string;
  /** Defaults to the platform's `fetch`. */
  fetch?: FetchLike;
  retry?: Partial<RetryOptions>;
  /** How the SDK waits between retries (inject one in tests). */
  sleep?: Sleep;
  /** Random source of the backoff jitter, in [0, 1). */
  random?: () => number;
  /** Per HTTP request; a timeout counts as a network error and is retried (default 30 000). */
  timeoutMs?: number;
  /** Sent as `X-Correlation-Id` on every call that does not name its own. */
  correlationId?: string;
  /** Told before each retry: what failed and how long the SDK will wait. */
  onRetry?: (info: RetryInfo) => void;
};

export type RetryInfo = {
  method: string;
  path: string;
  /** The request that just failed: 1 for the first. */
  attempt: number;
  delayMs: number;
  error: BaseKVError;
  idempotencyKey: string | null;
};

/** Options every call takes. */
export type CallOptions = {
  /** Mutating calls: the key of this logical call (default: a fresh UUID), reused by every retry of it. */
  idempotencyKey?: string;
  correlationId?: string;
  /** Stored in the audit event (`X-Reason`, ≤ 500 characters once percent-encoded). */
  reason?: string;
  priority?: "low" | "normal";
  signal?: AbortSignal;
  retry?: Partial<RetryOptions>;
};

export type PutOptions = CallOptions & {
  /** `If-Match`: write only if the entry is at this version. */
  ifVersion?: number;
  /** `If-None-Match: *`: create only. */
  ifAbsent?: boolean;
  ttlSeconds?: number;
};
export type DeleteOptions = CallOptions & { ifVersion?: number };
export type ListOptions = CallOptions & { prefix?: string; limit?: number; cursor?: string | null };
export type TaskListOptions = CallOptions & {
  status?: TaskStatus;
  due?: boolean;
  limit?: number;
  cursor?: string | null;
};
/** `ifSeq`: `If-Match` on the task's last event seq — refused with 412 if another event came first. */
export type EventOptions = CallOptions & { ifSeq?: number };

/** @internal One call as the endpoint classes describe it to `BaseKV.request`. */
export type RequestSpec = {
  method: "GET" | "PUT" | "POST" | "DELETE";
  path: string;
  query?: Record<string, string | number | boolean | null | undefined>;
  body?: unknown;
  headers?: Record<string, string>;
  call?: CallOptions;
  /** Longer than the client's `timeoutMs` by this much (a long-poll's `?wait=`). */
  extraTimeoutMs?: number;
};

const defaultSleep: Sleep = (ms, signal) =>
  new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });

const segment = (value: string) => encodeURIComponent(value);

/**
 * The agent API client. One instance per key; safe to share. Every method
 * returns the API's JSON body with a non-enumerable `$meta` (status, guardrail
 * headers, replay flag, ETag, idempotency key, attempts), and throws
 * `BaseKVError` on any non-2xx answer.
 */
export class BaseKV {
  readonly kv: KvApi;
  readonly tasks: TasksApi;
  readonly actions: ActionsApi;
  /** The guardrail headers of the most recent response (any call, success or error); null before the first. */
  lastGuardrail: Guardrail | null = null;

  private readonly root: string;
  private readonly apiKey: string;
  private readonly fetchImpl: FetchLike;
  private readonly retry: RetryOptions;
  private readonly sleepImpl: Sleep;
  private readonly random: () => number;
  private readonly timeoutMs: number;
  private readonly correlationId: string | undefined;
  private readonly onRetry: ((info: RetryInfo) => void) | undefined;

  constructor(options: BaseKVOptions) {
    if (!options.baseUrl) throw new TypeError("BaseKV: baseUrl is required");
    if (!options.apiKey) throw new TypeError("BaseKV: apiKey is required");
    this.root = options.baseUrl.replace(/\/+$/, "").replace(/\/api\/v1$/, "") + "/api/v1";
    this.apiKey = options.apiKey;
    const platformFetch = globalThis.fetch?.bind(globalThis);
    this.fetchImpl = options.fetch ?? platformFetch;
    if (!this.fetchImpl) throw new TypeError("BaseKV: no fetch available; pass options.fetch");
    this.retry = { ...DEFAULT_RETRY, ...options.retry };
    this.sleepImpl = options.sleep ?? defaultSleep;
    this.random = options.random ?? Math.random;
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.correlationId = options.correlationId;
    this.onRetry = options.onRetry;
    this.kv = new KvApi(this);
    this.tasks = new TasksApi(this);
    this.actions = new ActionsApi(this);
  }

  /** `GET /policy`: what this key may do now (never counted, answered even when stopped). */
  policy(call?: CallOptions): Promise<WithMeta<Policy>> {
    return this.request<Policy>({ method: "GET", path: "/policy", call });
  }

  /** Waits like the client does between retries (the injected `sleep`, if any). */
  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return this.sleepImpl(ms, signal);
  }

  /** @internal One logical call: retried as the retry options say, with one Idempotency-Key for all its attempts. */
  async request<T>(spec: RequestSpec): Promise<WithMeta<T>> {
    const call = spec.call ?? {};
    const retry = { ...this.retry, ...call.retry };
    const mutating = spec.method !== "GET";
    const idempotencyKey = mutating ? (call.idempotencyKey ?? crypto.randomUUID()) : null;
    const headers: Record<string, string> = {
      Authorization: `Bearer ${this.apiKey}`,
      Accept: "application/json",
      ...spec.headers,
    };
    if (idempotencyKey) headers["Idempotency-Key"] = idempotencyKey;
    const correlationId = call.correlationId ?? this.correlationId;
    if (correlationId) headers["X-Correlation-Id"] = correlationId;
    if (call.reason !== undefined) headers["X-Reason"] = encodeReason(call.reason);
    if (call.priority) headers["X-Priority"] = call.priority;
    let body: string | undefined;
    if (spec.body !== undefined) {
      body = JSON.stringify(spec.body);
      headers["Content-Type"] = "application/json";
    }
    const url = this.root + spec.path + queryString(spec.query);

    for (let attempt = 1; ; attempt++) {
      call.signal?.throwIfAborted();
      const result = await this.attempt<T>(
        url,
        { method: spec.method, headers, body },
        call.signal,
        attempt,
        this.timeoutMs + (spec.extraTimeoutMs ?? 0),
      );
      if (result.ok) {
        const meta: ResponseMeta = { ...result.meta, idempotencyKey, attempts: attempt };
        return Object.defineProperty(result.body as object, "$meta", { value: meta, enumerable: false }) as WithMeta<T>;
      }
      const error = result.error;
      const decision = retryDecision(result.outcome, attempt, retry, this.random);
      if (!decision.retry) throw error;
      this.onRetry?.({
        method: spec.method,
        path: spec.path,
        attempt,
        delayMs: decision.delayMs,
        error,
        idempotencyKey,
      });
      await this.sleepImpl(decision.delayMs, call.signal);
    }
  }

  private async attempt<T>(
    url: string,
    init: { method: string; headers: Record<string, string>; body: string | undefined },
    signal: AbortSignal | undefined,
    attempt: number,
    timeoutMs: number,
  ): Promise<
    | { ok: true; body: T; meta: Omit<ResponseMeta, "idempotencyKey" | "attempts"> }
    | { ok: false; error: BaseKVError; outcome: Outcome }
  > {
    const timeout = AbortSignal.timeout(timeoutMs);
    const combined = signal ? AbortSignal.any([signal, timeout]) : timeout;
    let response: Response;
    let text: string;
    try {
      response = await this.fetchImpl(url, { ...init, signal: combined });
      text = await response.text();
    } catch (cause) {
      // The caller's own abort is not a network error: stop at once.
      if (signal?.aborted) throw signal.reason;
      const message = cause instanceof Error ? cause.message : String(cause);
      return {
        ok: false,
        outcome: { kind: "network" },
        error: new BaseKVError({
          code: "network_error",
          status: 0,
          message: `${init.method} ${url}: ${message}`,
          attempts: attempt,
          cause,
        }),
      };
    }

    const guardrail = parseGuardrail(response.headers);
    this.lastGuardrail = guardrail;
    let parsed: unknown = undefined;
    try {
      parsed = text === "" ? undefined : JSON.parse(text);
    } catch {
      // handled below
    }
    if (response.ok && parsed !== null && typeof parsed === "object") {
      return {
        ok: true,
        body: parsed as T,
        meta: {
          status: response.status,
          guardrail,
          replayed: response.headers.get("idempotent-replayed") === "true",
          etag: parseEtag(response.headers.get("etag")),
        },
      };
    }

    const retryAfter = parseRetryAfter(response.headers.get("retry-after"));
    const envelope = readEnvelope(parsed);
    const error = envelope
      ? new BaseKVError({
          code: envelope.code,
          status: response.status,
          message: envelope.message,
          requestId: envelope.requestId ?? guardrail.requestId,
          details: envelope.details,
          retryAfter,
          guardrail,
          attempts: attempt,
        })
      : new BaseKVError({
          code: "invalid_response",
          status: response.status,
          message: `${init.method} ${url}: HTTP ${response.status} without the API's JSON body`,
          requestId: guardrail.requestId,
          retryAfter,
          guardrail,
          attempts: attempt,
        });
    return {
      ok: false,
      error,
      outcome: { kind: "response", status: response.status, code: envelope?.code ?? null, retryAfter },
    };
  }
}

function readEnvelope(
  parsed: unknown,
): { code: ApiErrorCode; message: string; requestId: string | null; details: Record<string, unknown> } | null {
  if (parsed === null || typeof parsed !== "object" || !("error" in parsed)) return null;
  const error = (parsed as { error: unknown }).error;
  if (error === null || typeof error !== "object") return null;
  const e = error as Record<string, unknown>;
  if (typeof e.code !== "string") return null;
  return {
    code: e.code as ApiErrorCode,
    message: typeof e.message === "string" ? e.message : e.code,
    requestId: typeof e.requestId === "string" ? e.requestId : null,
    details: e.details !== null && typeof e.details === "object" ? (e.details as Record<string, unknown>) : {},
  };
}

function queryString(query: RequestSpec["query"]): string {
  if (!query) return "";
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) {
    if (value !== undefined && value !== null && value !== "") params.set(name, String(value));
  }
  const text = params.toString();
  return text ? `?${text}` : "";
}

function preconditionHeaders(options: { ifVersion?: number; ifAbsent?: boolean }): Record<string, string> {
  const headers: Record<string, string> = {};
  if (options.ifVersion !== undefined) headers["If-Match"] = ifMatch(options.ifVersion);
  if (options.ifAbsent) headers["If-None-Match"] = "*";
  return headers;
}

export class KvApi {
  constructor(private readonly client: BaseKV) {}

  /** `GET /kv/{namespace}/{key}`; absent or expired → `BaseKVError` `not_found`. */
  get<V = Json>(namespace: string, key: string, call?: CallOptions): Promise<WithMeta<KvEntry<V>>> {
    return this.client.request({ method: "GET", path: `/kv/${segment(namespace)}/${segment(key)}`, call });
  }

  /** `PUT /kv/{namespace}/{key}` → 201 created / 200 updated (`$meta.status`). */
  put(namespace: string, key: string, value: Json, options: PutOptions = {}): Promise<WithMeta<KvPutResult>> {
    const { ifVersion, ifAbsent, ttlSeconds, ...call } = options;
    return this.client.request({
      method: "PUT",
      path: `/kv/${segment(namespace)}/${segment(key)}`,
      body: ttlSeconds === undefined ? { value } : { value, ttlSeconds },
      headers: preconditionHeaders({ ifVersion, ifAbsent }),
      call,
    });
  }

  /** `DELETE /kv/{namespace}/{key}`; absent → `not_found`. */
  delete(namespace: string, key: string, options: DeleteOptions = {}): Promise<WithMeta<KvDeleteResult>> {
    const { ifVersion, ...call } = options;
    return this.client.request({
      method: "DELETE",
      path: `/kv/${segment(namespace)}/${segment(key)}`,
      headers: preconditionHeaders({ ifVersion }),
      call,
    });
  }

  /** `GET /kv/{namespace}?prefix=&limit=&cursor=`: one page, in key order. */
  list(namespace: string, options: ListOptions = {}): Promise<WithMeta<KvListPage>> {
    const { prefix, limit, cursor, ...call } = options;
    return this.client.request({
      method: "GET",
      path: `/kv/${segment(namespace)}`,
      query: { prefix, limit, cursor },
      call,
    });
  }

  /** Every live key under `prefix`, page after page. */
  async *iterate(namespace: string, options: Omit<ListOptions, "cursor"> = {}): AsyncGenerator<KvListItem> {
    let cursor: string | null = null;
    do {
      const page: KvListPage = await this.list(namespace, { ...options, cursor });
      yield* page.items;
      cursor = page.nextCursor;
    } while (cursor);
  }
}

export class TasksApi {
  constructor(private readonly client: BaseKV) {}

  /** `POST /tasks` → the task, `status: "accepted"`, of the key's workflow class. */
  create(body: CreateTaskBody, call?: CallOptions): Promise<WithMeta<TaskSummary>> {
    return this.client.request({ method: "POST", path: "/tasks", body, call });
  }

  /** `GET /tasks/{id}`: the task with its events and latest checkpoint (`$meta.etag` = its last event seq). */
  get(id: string, call?: CallOptions): Promise<WithMeta<Task>> {
    return this.client.request({ method: "GET", path: `/tasks/${segment(id)}`, call });
  }

  /** `GET /tasks`: the class's tasks, newest first. */
  list(options: TaskListOptions = {}): Promise<WithMeta<TaskListPage>> {
    const { status, due, limit, cursor, ...call } = options;
    return this.client.request({ method: "GET", path: "/tasks", query: { status, due, limit, cursor }, call });
  }

  /** `POST /tasks/{id}/events` → the task after the event (`$meta.etag` = its last event seq). */
  event(id: string, body: TaskEventBody, options: EventOptions = {}): Promise<WithMeta<TaskSummary>> {
    const { ifSeq, ...call } = options;
    return this.client.request({
      method: "POST",
      path: `/tasks/${segment(id)}/events`,
      body,
      headers: ifSeq === undefined ? {} : { "If-Match": ifMatch(ifSeq) },
      call,
    });
  }
}
