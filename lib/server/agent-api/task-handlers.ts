import "server-only";
import type { z } from "zod";
import { AppError } from "@/lib/core/errors";
import { isNamespaceName } from "@/lib/core/grants";
import { newId } from "@/lib/core/ids";
import { parseListLimit, parsePreconditions } from "@/lib/core/kv";
import { TASK_STATUSES, type TaskStatus } from "@/lib/core/tasks";
import { createTaskBodySchema, taskEventBodySchema } from "@/lib/validations/tasks";
import { createTask } from "../tasks/create-task";
import { getTask } from "../tasks/get-task";
import { namespaceIdsAllowed } from "../namespaces/readable-namespaces";
import { decodeTaskCursor, listTasks } from "../tasks/list-tasks";
import { recordTaskEvent } from "../tasks/record-task-event";
import { loadCheckpoint, toApiTask } from "../tasks/task-view";
import type { AgentContext, AgentResult } from "./agent-route";
import type { BodySpec } from "./route/types";

const TASK_VALUES = ["input", "output", "checkpoint"] as const;
export const createTaskBody = {
  schema: createTaskBodySchema,
  shape: "the schema",
  values: TASK_VALUES,
} satisfies BodySpec<typeof createTaskBodySchema>;
export const taskEventBody = {
  schema: taskEventBodySchema,
  shape: "the schema",
  values: TASK_VALUES,
} satisfies BodySpec<typeof taskEventBodySchema>;

function taskIdFrom(params: { id?: string | string[] }): string {
  const id = typeof params.id === "string" ? params.id : "";
  if (!/^task_[0-9a-z]{16}$/.test(id)) throw new AppError("not_found", "no such task");
  return id;
}

export async function createTaskHandler(
  ctx: AgentContext<"prisma", z.output<typeof createTaskBodySchema>>,
): Promise<AgentResult> {
  const body = ctx.body();
  if (!isNamespaceName(body.namespace))
    throw new AppError("validation_failed", "namespace is not a valid namespace name", {
      issues: [{ path: ["namespace"] }],
    });
  ctx.requireGrant(body.namespace, "write");
  const task = await createTask(ctx.db.tx, {
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

export async function getTaskHandler(ctx: AgentContext<"prisma">, params: { id?: string }): Promise<AgentResult> {
  const { task, events, checkpoint } = await getTask(ctx.db.tx, {
    taskId: taskIdFrom(params),
    workspaceId: ctx.principal.workspace.id,
    workflowClassId: ctx.principal.workflowClass.id,
    now: ctx.now,
  });
  ctx.requireGrant(task.namespace.name, "read");
  return { body: toApiTask(task, { checkpoint, events }), headers: { ETag: `"${task.lastSeq}"` } };
}

export async function taskEventHandler(
  ctx: AgentContext<"prisma", z.output<typeof taskEventBodySchema>>,
  params: { id?: string },
): Promise<AgentResult> {
  const taskId = taskIdFrom(params);
  const body = ctx.body();
  const pre = parsePreconditions(ctx.request.headers.get("if-match"), null);
  if (!pre.ok)
    throw new AppError("invalid_request", 'If-Match must be the task\'s last event sequence number, e.g. "3"');
  // Visibility first (404 for other classes and workspaces), then the grant on the task's namespace.
  const visible = await ctx.db.tx.task.findFirst({
    where: { id: taskId, workspaceId: ctx.principal.workspace.id, workflowClassId: ctx.principal.workflowClass.id },
    select: { namespace: { select: { name: true } } },
  });
  if (!visible) throw new AppError("not_found", "no such task");
  ctx.requireGrant(visible.namespace.name, "write");
  const task = await recordTaskEvent(ctx.db.tx, {
    taskId,
    workspaceId: ctx.principal.workspace.id,
    workflowClassId: ctx.principal.workflowClass.id,
    event: { ...body, reason: body.reason ?? ctx.reason },
    expectedSeq: pre.value.kind === "match" ? pre.value.version : null,
    actor: ctx.actor,
    requestId: ctx.requestId,
    now: ctx.now,
  });
  const checkpoint = await loadCheckpoint(ctx.db.tx, task, ctx.now);
  return { body: toApiTask(task, { checkpoint }), headers: { ETag: `"${task.lastSeq}"` } };
}

export async function listTasksHandler(ctx: AgentContext<"prisma">): Promise<AgentResult> {
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
  const page = await listTasks(ctx.db.tx, {
    workspaceId: ctx.principal.workspace.id,
    workflowClassId: ctx.principal.workflowClass.id,
    // As GET /tasks/{id}: only tasks in namespaces this key may read (their input and output may hold secrets).
    namespaceIds: await namespaceIdsAllowed(ctx.db.tx, ctx.principal.workspace.id, ctx.principal.grants, "read"),
    status: (status as TaskStatus | null) ?? undefined,
    due: due === "true",
    limit,
    cursor,
    now: ctx.now,
  });
  return { body: { items: page.items.map((t) => toApiTask(t)), nextCursor: page.nextCursor } };
}
