"use client";

import { useState, useTransition } from "react";
import type { FormAction } from "@/lib/action-state";
import type { ActionEffect } from "@/lib/core/action-rules";
import type { ReplayResult } from "@/lib/server/actions/replay";
import type { DraftRule } from "@/lib/validations/rule-draft";
import { Alert } from "@/components/ui/alert";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { VERDICT_LABEL, VERDICT_TONE } from "./rule-format";

export type PreviewAction = FormAction<ReplayResult>;
export type Draft = { drafts: DraftRule[]; defaultEffect: ActionEffect } | { error: string };

/**
 * "Preview impact": sends the draft rule set (not saved) to the replay and shows how many of the
 * last 7 days' decisions it would change, and which. A result is for the draft it was computed
 * from: once the draft changes, it says so.
 */
export function ImpactPreview({
  workspace,
  action,
  draft,
}: {
  workspace: string;
  action: PreviewAction;
  draft: Draft;
}) {
  const [pending, startTransition] = useTransition();
  const [shown, setShown] = useState<{ key: string; result: ReplayResult } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const key = "error" in draft ? null : JSON.stringify(draft);

  const run = () => {
    setError(null);
    if ("error" in draft || key === null) {
      setError("error" in draft ? draft.error : "The draft is not valid.");
      return;
    }
    const data = new FormData();
    data.set("workspace", workspace);
    data.set("draft", JSON.stringify(draft.drafts));
    data.set("defaultEffect", draft.defaultEffect);
    startTransition(async () => {
      const state = await action(undefined, data);
      if (state.ok && state.data) setShown({ key, result: state.data });
      else setError(state.message ?? "The preview failed.");
    });
  };

  const result = shown?.result;
  const stale = shown !== null && shown.key !== key;
  return (
    <div className="space-y-3 rounded-md border border-zinc-200 p-3 dark:border-zinc-800" data-testid="impact-preview">
      <div className="flex flex-wrap items-center justify-between gap-2">
        <p className="text-sm font-medium">Impact on the last 7 days</p>
        <Button variant="secondary" size="sm" onClick={run} disabled={pending}>
          {pending ? "Replaying…" : "Preview impact"}
        </Button>
      </div>
      {error ? <Alert tone="error">{error}</Alert> : null}
      {result ? (
        <div className="space-y-3" aria-live="polite">
          {stale ? <Alert tone="warning">The draft changed since this preview: preview again.</Alert> : null}
          <p className="text-sm" data-testid="impact-summary">
            <strong className="tabular-nums">{result.changed}</strong> of{" "}
            <span className="tabular-nums">{result.total}</span> decision{result.total === 1 ? "" : "s"} would change.
            {result.capped ? ` Only the newest ${result.total} requests were replayed.` : ""}
          </p>
          {result.transitions.length ? (
            <ul className="flex flex-wrap gap-2" aria-label="Changes by verdict">
              {result.transitions.map((t) => (
                <li key={`${t.from}-${t.to}`} className="flex items-center gap-1 text-xs">
                  <Badge tone={VERDICT_TONE[t.from]}>{VERDICT_LABEL[t.from]}</Badge>→
                  <Badge tone={VERDICT_TONE[t.to]}>{VERDICT_LABEL[t.to]}</Badge>
                  <span className="tabular-nums">× {t.count}</span>
                </li>
              ))}
            </ul>
          ) : null}
          {result.changes.length ? (
            <div className="max-h-72 overflow-auto rounded border border-zinc-200 dark:border-zinc-800">
              <table className="min-w-full text-xs" aria-label="Decisions that would change">
                <thead className="sticky top-0 bg-zinc-50 text-left text-zinc-500 dark:bg-zinc-900 dark:text-zinc-400">
                  <tr>
                    <th className="px-2 py-1 font-semibold">Action</th>
                    <th className="px-2 py-1 font-semibold">Then</th>
                    <th className="px-2 py-1 font-semibold">With the draft</th>
                    <th className="px-2 py-1 font-semibold">Estimate</th>
                    <th className="px-2 py-1 font-semibold">Identity</th>
                    <th className="px-2 py-1 font-semibold">When</th>
                  </tr>
                </thead>
                <tbody className="divide-y divide-zinc-100 dark:divide-zinc-800">
                  {result.changes.map((c) => (
                    <tr key={c.id} data-testid="impact-change">
                      <td className="px-2 py-1 font-mono">{c.action}</td>
                      <td className="px-2 py-1">
                        <Badge tone={VERDICT_TONE[c.before]}>{VERDICT_LABEL[c.before]}</Badge>
                        <span className="block text-zinc-500">{c.ruleBefore ?? "default"}</span>
                      </td>
                      <td className="px-2 py-1">
                        <Badge tone={VERDICT_TONE[c.after]}>{VERDICT_LABEL[c.after]}</Badge>
                        <span className="block text-zinc-500">{c.ruleAfter ?? "default"}</span>
                      </td>
                      <td className="px-2 py-1 tabular-nums">
                        {c.estimateUsd === null ? "none" : `$${c.estimateUsd}`}
                      </td>
                      <td className="px-2 py-1">
                        {c.identity} <span className="text-zinc-500">({c.workflowClass})</span>
                      </td>
                      <td className="whitespace-nowrap px-2 py-1 tabular-nums" title={c.id}>
                        {c.at.replace("T", " ").slice(0, 16)}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          ) : null}
          {result.changed > result.changes.length ? (
            <p className="text-xs text-zinc-500">The first {result.changes.length} are listed.</p>
          ) : null}
          <p className="text-xs text-zinc-500">
            Each request is compared with the verdict it got when it was asked (also when the workspace default
            decided). Rate limits and spend budgets are not replayed.
          </p>
        </div>
      ) : null}
    </div>
  );
}
