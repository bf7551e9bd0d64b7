/** Durations as people and the admin CLI write them: `30s`, `15m`, `1h`, `7d`. */
const UNIT_SECONDS = { s: 1, m: 60, h: 3600, d: 86400 } as const;

export function parseDuration(text: string): number | null {
  const match = /^(\d{1,9})(s|m|h|d)$/.exec(text.trim());
  if (!match) return null;
  const seconds = Number(match[1]) * UNIT_SECONDS[match[2] as keyof typeof UNIT_SECONDS];
  return seconds > 0 && Number.isSafeInteger(seconds) ? seconds : null;
}

export function formatDuration(totalSeconds: number): string {
  for (const [unit, size] of [
    ["d", 86400],
    ["h", 3600],
    ["m", 60],
  ] as const) {
    if (totalSeconds >= size && totalSeconds % size === 0) return `${totalSeconds / size}${unit}`;
  }
  return `${totalSeconds}s`;
}
