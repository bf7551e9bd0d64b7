import { formatUsdDecimal } from "@/lib/core/money";

/** How the dashboard writes an action's money, tokens and clocks (server and client alike). */
export function usdText(micros: bigint | null | undefined): string {
  if (micros === null || micros === undefined) return "—";
  const [whole, fraction = ""] = formatUsdDecimal(micros).split(".");
  return `$${whole}.${fraction.padEnd(2, "0")}`;
}

export function costText(micros: bigint | null | undefined, tokens: bigint | null | undefined): string {
  const parts = [micros === null || micros === undefined ? null : usdText(micros)];
  if (tokens !== null && tokens !== undefined) parts.push(`${tokens.toLocaleString("en-US")} tokens`);
  const shown = parts.filter(Boolean);
  return shown.length ? shown.join(" · ") : "no estimate";
}

/** "12 min left", "1 h 5 min left", "deadline passed". */
export function timeLeftText(ms: number | null): string {
  if (ms === null) return "—";
  if (ms <= 0) return "deadline passed";
  const minutes = Math.floor(ms / 60_000);
  if (minutes < 1) return `${Math.ceil(ms / 1000)} s left`;
  if (minutes < 60) return `${minutes} min left`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours} h${minutes % 60 ? ` ${minutes % 60} min` : ""} left`;
  return `${Math.floor(hours / 24)} days left`;
}

export function timeText(date: Date | string | null | undefined): string {
  if (!date) return "—";
  return (typeof date === "string" ? date : date.toISOString()).replace("T", " ").slice(0, 19);
}

/** Arguments as people read them: pretty JSON, or nothing. */
export function prettyJson(value: unknown): string {
  return value === null || value === undefined ? "" : JSON.stringify(value, null, 2);
}
