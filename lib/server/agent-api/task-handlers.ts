import "server-only";
import { z } from "zod";
import { AppError } from "@/lib/core/errors";
import { isNamespaceName } from "@/lib/core/grants";
import { newId } from "@/lib/core/ids";
import {
  byteLength,
  checkJsonValue,
  MAX_JSON_DEPTH,
  MAX_VALUE_BYTES,
  parseListLimit,
  parsePreconditions,
} from "@/lib/core/kv";
import { TASK_STATUSES, type TaskStatus } from "@/lib/core/tasks";
import { createTaskBodySchema, taskEventBodySchema } from "@/lib/validations/tasks";
import { createTask } from "../tasks/create-task";
import { getTask } from "../tasks/get-task";
import { namespaceIdsAllowed } from "../namespaces/readable-namespaces";
import { decodeTaskCursor, listTasks } from "../tasks/list-tasks";
import { recordTaskEvent } from "../tasks/record-task-event";
import { loadCheckpoint, toApiTask } from "../tasks/task-view";
import type { AgentContext, AgentResult } from "./agent-route";

function parseJsonBody<S extends z.ZodType>(ctx: AgentContext, schema: S): z.output<S> {
  let raw: unknown;
  try {
    raw = JSON.parse(ctx.bodyText);
  } catch {
    throw new AppError("invalid_request", "the body is not valid JSON");
  }
  // Before the (recursive) schema: nesting, NUL and unpaired surrogates anywhere in the body.
  const body = checkJsonValue(raw, MAX_JSON_DEPTH + 1);
  if (!body.ok)
    throw new AppError("validation_failed", `the body: ${body.message}`, {
      issues: [{ path: [], message: body.message }],
    });
  const parsed = schema.safeParse(raw);
  if (!parsed.success)
    throw new AppError("validation_failed", "the body does not match the schema", {
      issues: z.treeifyError(parsed.error),
    });
  for (const field of ["input", "output", "checkpoint"] as const) {
    const value = (parsed.data as Record<string, unknown>)[field];
    if (value === undefined) continue;
    if (byteLength(JSON.stringify(value)) > MAX_VALUE_BYTES)
      throw new AppError("payload_too_large", `${field} is limited to ${MAX_VALUE_BYTES} bytes of JSON`);
    const check = checkJsonValue(value);
    if (!check.ok) throw new AppError("validation_failed", `${field}: ${check.message}`);
  }
  return parsed.data;
}

function taskIdFrom(params: { id?: string | string[] }): string {
  const id = typeof params.id === "string" ? params.id : "";
  if (!/^task_[0-9a-z]{16}$/.test(id)) throw new AppError("not_found", "no such task");
  return id;
}

export async function createTaskHandler(ctx: AgentContext): Promise<AgentResult> {
  const body = parseJsonBody(ctx, createTaskBodySchema);
  if (!isNamespaceName(body.namespace))
    throw new AppError("validation_failed", "namespace is not a valid namespace name", {
      issues: [{ path: ["namespace"] }],
    });
  ctx.requireGrant(body.namespace, "write");
  const task = await createTask(ctx.tx, {
    workspaceId: ctx.principal.workspace.id,
    workflowClass: ctx.principal.workflowClass,
    namespace: body.namespace,
    taskInput: body.input,
    correlationId: body.correlationId ?? ctx.correlationId ?? newId("corr"),
    actor: ctx.actor,
    reason: ctx.reason,
    requestId: ctx.requestId,
    now: ctx.now,
  });
  return { status: 201, body: toApiTask(task) };
}

export async function getTaskHandler(ctx: AgentContext, params: { id?: string }): Promise<AgentResult> {
  const { task, events, checkpoint } = await getTask(ctx.tx, {
    taskId: taskIdFrom(params),
    workspaceId: ctx.principal.workspace.id,
    workflowClassId: ctx.principal.workflowClass.id,
    now: ctx.now,
  });
  ctx.requireGrant(task.namespace.name, "read");
  return { body: toApiTask(task, { checkpoint, events }), headers: { ETag: `"${task.lastSeq}"` } };
}

export async function taskEventHandler(ctx: AgentContext, params: { id?: string }): Promise<AgentResult> {
  const taskId = taskIdFrom(params);
  const body = parseJsonBody(ctx, taskEventBodySchema);
  const pre = parsePreconditions(ctx.request.headers.get("if-match"), null);
  if (!pre.ok)
    throw new AppError("invalid_request", 'If-Match must be the task\'s last event sequence number, e.g. "3"');
  // Visibility first (404 for other classes and workspaces), then the grant on the task's namespace.
  const visible = await ctx.tx.task.findFirst({
    where: { id: taskId, workspaceId: ctx.principal.workspace.id, workflowClassId: ctx.principal.workflowClass.id },
    select: { namespace: { select: { name: true } } },
  });
  if (!visible) throw new AppError("not_found", "no such task");
  ctx.requireGrant(visible.namespace.name, "write");
  const task = await recordTaskEvent(ctx.tx, {
    taskId,
    workspaceId: ctx.principal.workspace.id,
    workflowClassId: ctx.principal.workflowClass.id,
    event: { ...body, reason: body.reason ?? ctx.reason },
    expectedSeq: pre.value.kind === "match" ? pre.value.version : null,
    actor: ctx.actor,
    requestId: ctx.requestId,
    now: ctx.now,
  });
  const checkpoint = await loadCheckpoint(ctx.tx, task, ctx.now);
  return { body: toApiTask(task, { checkpoint }), headers: { ETag: `"${task.lastSeq}"` } };
}

export async function listTasksHandler(ctx: AgentContext): Promise<AgentResult> {
  const params = new URL(ctx.request.url).searchParams;
  const status = params.get("status");
  if (status !== null && !(TASK_STATUSES as readonly string[]).includes(status)) {
    throw new AppError("invalid_request", `status must be one of ${TASK_STATUSES.join(", ")}`);
  }
  const due = params.get("due");
  if (due !== null && due !== "true" && due !== "false")
    throw new AppError("invalid_request", "due must be true or false");
  const limit = parseListLimit(params.get("limit"));
  if (limit === null) throw new AppError("invalid_request", "limit must be an integer from 1 to 1000");
  const cursorParam = params.get("cursor");
  const cursor = cursorParam ? decodeTaskCursor(cursorParam) : null;
  if (cursorParam && !cursor) throw new AppError("invalid_request", "cursor is not one this API returned");
  const page = await listTasks(ctx.tx, {
    workspaceId: ctx.principal.workspace.id,
    workflowClassId: ctx.principal.workflowClass.id,
    // As GET /tasks/{id}: only tasks in namespaces this key may read (their input and output may hold secrets).
    namespaceIds: await namespaceIdsAllowed(ctx.tx, ctx.principal.workspace.id, ctx.principal.grants, "read"),
    status: (status as TaskStatus | null) ?? undefined,
    due: due === "true",
    limit,
    cursor,
    now: ctx.now,
  });
  return { body: { items: page.items.map((t) => toApiTask(t)), nextCursor: page.nextCursor } };
}
