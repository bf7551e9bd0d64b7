import { formatDuration } from "@/lib/core/duration";

/** Seconds as people read them in tables: `1h`, `7d`, `90s`, or "—" when unset. */
export function formatSeconds(seconds: number | null | undefined): string {
  return seconds == null ? "—" : formatDuration(seconds);
}
