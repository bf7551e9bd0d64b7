import { Badge } from "@/components/ui/badge";
import { costText } from "./action-format";

/** The money and token fields of an action as the list and the task timeline read them. */
export type ActionCostFields = {
  estimateMicros: bigint | null;
  estimateTokens: bigint | null;
  actualMicros: bigint | null;
  /** Optional: a list that does not select it shows the actual USD alone. */
  actualTokens?: bigint | null;
  overrun: boolean;
};

/** "$0.40 · 3,000 tokens" → "$0.47 · 2,104 tokens", with the overrun mark; "—" while not settled. */
export function actualText(a: ActionCostFields): string | null {
  const tokens = a.actualTokens ?? null;
  if (a.actualMicros === null && tokens === null) return null;
  return costText(a.actualMicros, tokens);
}

export function ActionCost({
  action,
  layout = "stacked",
}: {
  action: ActionCostFields;
  layout?: "stacked" | "inline";
}) {
  const actual = actualText(action);
  const mark = action.overrun ? <Badge tone="bad">overrun</Badge> : null;
  if (layout === "inline") {
    return (
      <>
        estimate {costText(action.estimateMicros, action.estimateTokens)}
        {actual ? ` · actual ${actual}` : ""}
        {mark ? <> {mark}</> : null}
      </>
    );
  }
  return (
    <div className="space-y-0.5" data-testid="action-cost">
      <div>
        <span className="text-zinc-500">est. </span>
        {costText(action.estimateMicros, action.estimateTokens)}
      </div>
      <div className={action.overrun ? "font-medium text-red-700 dark:text-red-400" : ""}>
        <span className="font-normal text-zinc-500">actual </span>
        {actual ?? "—"}
      </div>
    </div>
  );
}
