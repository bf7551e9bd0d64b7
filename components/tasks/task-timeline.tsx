import { Badge } from "@/components/ui/badge";
import { Card } from "@/components/ui/card";

export type TimelineEvent = {
  seq: number;
  type: string;
  fromStatus: string | null;
  toStatus: string;
  step: string | null;
  attempt: number;
  actorType: string;
  actorName: string | null;
  data: unknown;
  createdAt: Date;
};

const FAILURES = new Set(["step_failed", "timeout", "escalate", "cancel"]);

export function groupByAttempt<E extends { attempt: number; type: string }>(events: E[]): [number, E[]][] {
  const groups: [number, E[]][] = [];
  for (const e of events) {
    // A `started` opens its attempt; everything until the next one belongs to it.
    const last = groups[groups.length - 1];
    if (!last || (e.type === "started" && last[0] !== e.attempt) || e.attempt !== last[0])
      groups.push([e.attempt, [e]]);
    else last[1].push(e);
  }
  return groups;
}

function elapsed(from: Date, to: Date): string {
  const ms = to.getTime() - from.getTime();
  if (ms < 1000) return `${ms} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  if (ms < 3_600_000) return `${Math.round(ms / 60_000)} min`;
  return `${(ms / 3_600_000).toFixed(1)} h`;
}

export function Json({ value, testId }: { value: unknown; testId?: string }) {
  if (value === null || value === undefined) return <p className="text-sm text-zinc-500">none</p>;
  return (
    <pre
      data-testid={testId}
      className="max-h-72 overflow-auto rounded bg-zinc-50 p-3 font-mono text-xs dark:bg-zinc-950"
    >
      {JSON.stringify(value, null, 2)}
    </pre>
  );
}

/** Every event in order, grouped by attempt, with gaps, failures and checkpoints marked. */
export function TaskTimeline({ events }: { events: TimelineEvent[] }) {
  return (
    <div className="space-y-6" aria-label="Timeline">
      {groupByAttempt(events).map(([attempt, group]) => (
        <section key={attempt} aria-label={attempt === 0 ? "Before the first attempt" : `Attempt ${attempt}`}>
          <h3 className="mb-2 text-xs font-semibold uppercase tracking-wide text-zinc-500">
            {attempt === 0 ? "Accepted" : `Attempt ${attempt}`}
          </h3>
          <ol className="relative space-y-4 border-l border-zinc-200 pl-6 dark:border-zinc-800">
            {group.map((e) => {
              const data = e.data as {
                error?: { type: string; message: string };
                reason?: string;
                retryAt?: string;
                checkpointKey?: string;
              };
              const failure = FAILURES.has(e.type);
              const previous = events.find((p) => p.seq === e.seq - 1);
              return (
                <li key={e.seq} data-testid="timeline-event" data-failure={failure || undefined}>
                  <span
                    className={`absolute -left-1.5 mt-1.5 size-3 rounded-full ${failure ? "bg-red-500" : "bg-indigo-500"}`}
                    aria-hidden
                  />
                  <div className="flex flex-wrap items-center gap-2 text-sm">
                    <span className="font-mono text-xs text-zinc-500">#{e.seq}</span>
                    <span className={failure ? "font-medium text-red-700 dark:text-red-400" : "font-medium"}>
                      {e.type}
                    </span>
                    {failure ? <Badge tone="bad">failure</Badge> : null}
                    {e.step ? <Badge>{e.step}</Badge> : null}
                    {data.checkpointKey ? <Badge tone="info">checkpoint saved</Badge> : null}
                    <span className="text-xs text-zinc-500">
                      {e.fromStatus ?? "∅"} → {e.toStatus}
                    </span>
                    {previous ? (
                      <span className="text-xs text-zinc-400">+{elapsed(previous.createdAt, e.createdAt)}</span>
                    ) : null}
                  </div>
                  <div className="mt-1 text-xs text-zinc-600 dark:text-zinc-400">
                    {e.createdAt.toISOString().replace("T", " ").slice(0, 23)} by {e.actorName ?? "—"} ({e.actorType})
                    {data.error ? ` · ${data.error.type}: ${data.error.message}` : ""}
                    {data.reason ? ` · “${data.reason}”` : ""}
                    {data.retryAt ? ` · retry at ${data.retryAt}` : ""}
                  </div>
                </li>
              );
            })}
          </ol>
        </section>
      ))}
    </div>
  );
}

/** The task's input and latest checkpoint, as the task and escalation pages show them. */
export function TaskDataCards({
  input,
  checkpoint,
}: {
  input: unknown;
  checkpoint: { step: string | null; key: string; value: unknown; version: number } | null;
}) {
  return (
    <>
      <Card>
        <h2 className="mb-2 text-base font-semibold">Input</h2>
        <Json value={input} />
      </Card>
      <Card>
        <h2 className="mb-2 text-base font-semibold">
          Latest checkpoint{checkpoint?.step ? ` (after ${checkpoint.step})` : ""}
        </h2>
        <Json value={checkpoint?.value} testId="task-checkpoint" />
        {checkpoint ? (
          <p className="mt-2 text-xs text-zinc-500">
            KV {checkpoint.key}, version {checkpoint.version}
          </p>
        ) : null}
      </Card>
    </>
  );
}
