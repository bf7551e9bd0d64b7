import { Badge } from "@/components/ui/badge";

const TONE: Record<string, "neutral" | "good" | "warn" | "bad" | "info"> = {
  allowed: "info",
  pending_approval: "warn",
  succeeded: "good",
  failed: "bad",
  denied: "bad",
  rejected: "bad",
  expired: "neutral",
  timed_out: "bad",
  cancelled: "neutral",
};

export function ActionStatusBadge({ status }: { status: string }) {
  return (
    <Badge tone={TONE[status] ?? "neutral"}>
      <span data-testid="action-status">{status.replace("_", " ")}</span>
    </Badge>
  );
}
