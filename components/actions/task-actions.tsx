import Link from "next/link";
import type { ActionListRow } from "@/lib/server/actions/list-actions";
import { ActionCost } from "./action-cost";
import { timeText } from "./action-format";
import { ActionStatusBadge } from "./action-status-badge";

/** The actions a task's agent asked for (with its taskId), oldest first, on the task's page. */
export function TaskActions({ workspace, actions }: { workspace: string; actions: ActionListRow[] }) {
  if (actions.length === 0) return <p className="text-sm text-zinc-500">The agent asked for no action in this task.</p>;
  return (
    <ol
      className="relative space-y-4 border-l border-zinc-200 pl-6 dark:border-zinc-800"
      aria-label="Actions of this task"
    >
      {actions.map((a) => {
        const waiting = a.status === "pending_approval";
        return (
          <li key={a.id} data-testid="task-action">
            <span
              className={`absolute -left-1.5 mt-1.5 size-3 rounded-full ${waiting ? "bg-amber-500" : "bg-indigo-500"}`}
              aria-hidden
            />
            <div className="flex flex-wrap items-center gap-2 text-sm">
              <Link
                href={`/w/${workspace}/actions/${a.id}`}
                className="font-mono text-xs font-medium text-indigo-600 hover:underline"
              >
                {a.action}
              </Link>
              <ActionStatusBadge status={a.status} />
              {waiting ? (
                <span className="text-xs font-medium text-amber-700 dark:text-amber-300">
                  waiting for approval (heartbeat timeout suspended)
                </span>
              ) : null}
            </div>
            <div className="mt-1 text-xs text-zinc-600 dark:text-zinc-400">
              {timeText(a.createdAt)} · {a.summary ? `${a.summary} · ` : ""}
              <ActionCost action={a} layout="inline" />
              {a.ruleName ? ` · rule “${a.ruleName}”` : ""}
            </div>
          </li>
        );
      })}
    </ol>
  );
}
