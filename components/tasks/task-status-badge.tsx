import { Badge } from "@/components/ui/badge";

const TONES = {
  accepted: "neutral",
  running: "info",
  retry_scheduled: "warn",
  dead_lettered: "bad",
  awaiting_human: "bad",
  committed: "good",
  cancelled: "neutral",
} as const;

export function TaskStatusBadge({ status }: { status: string }) {
  return <Badge tone={TONES[status as keyof typeof TONES] ?? "neutral"}>{status.replace("_", " ")}</Badge>;
}
