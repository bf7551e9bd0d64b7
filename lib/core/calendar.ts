/**
 * Budgets reset at midnight in the workspace's time zone. Pure: takes `now`.
 */
// Building a DateTimeFormat costs far more than using one: one per time zone, reused (hot path).
const formats = new Map<string, Intl.DateTimeFormat>();
function formatFor(timeZone: string): Intl.DateTimeFormat {
  let format = formats.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat("en-US", {
      timeZone,
      hourCycle: "h23",
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
    });
    formats.set(timeZone, format);
  }
  return format;
}

function localParts(instant: Date, timeZone: string) {
  const parts = formatFor(timeZone).formatToParts(instant);
  const get = (type: string) => Number(parts.find((p) => p.type === type)!.value);
  return {
    year: get("year"),
    month: get("month"),
    day: get("day"),
    hour: get("hour"),
    minute: get("minute"),
    second: get("second"),
  };
}

/** Milliseconds to add to UTC to get the local wall clock at `instant`. */
function offsetMs(instant: Date, timeZone: string): number {
  const p = localParts(instant, timeZone);
  const asUtc = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second);
  return asUtc - Math.floor(instant.getTime() / 1000) * 1000;
}

/**
 * The local day as seen from one instant `from`: its date, and `until`, the
 * next local midnight. Every instant in [from, until) has the same answers, so
 * one window per time zone serves the hot path's many calls a second (the
 * three formatToParts calls it saves were the costliest lines of a guarded
 * write); an instant outside it (a new day, or a clock set back in a test)
 * computes a new one.
 */
type DayWindow = { from: number; until: number; day: string };
const windows = new Map<string, DayWindow>();
function dayWindow(now: Date, timeZone: string): DayWindow {
  const t = now.getTime();
  const cached = windows.get(timeZone);
  if (cached && t >= cached.from && t < cached.until) return cached;
  const window = { from: t, until: computeNextReset(now, timeZone).getTime(), day: computeLocalDay(now, timeZone) };
  windows.set(timeZone, window);
  return window;
}

/** The local calendar day of `now` in `timeZone`, as YYYY-MM-DD. */
export function localDay(now: Date, timeZone: string): string {
  return dayWindow(now, timeZone).day;
}

/** The instant of the next local midnight after `now` in `timeZone`. */
export function nextDailyReset(now: Date, timeZone: string): Date {
  return new Date(dayWindow(now, timeZone).until);
}

function computeLocalDay(now: Date, timeZone: string): string {
  const p = localParts(now, timeZone);
  return `${p.year}-${String(p.month).padStart(2, "0")}-${String(p.day).padStart(2, "0")}`;
}

function computeNextReset(now: Date, timeZone: string): Date {
  const p = localParts(now, timeZone);
  return localMidnight(now, timeZone, Date.UTC(p.year, p.month - 1, p.day + 1, 0, 0, 0));
}

/** The instant the wall clock of `timeZone` reads `midnightWall` (a UTC-encoded wall time), near `now`. */
function localMidnight(now: Date, timeZone: string, midnightWall: number): Date {
  // Two passes settle the offset across a DST change at or near midnight.
  let guess = midnightWall - offsetMs(now, timeZone);
  guess = midnightWall - offsetMs(new Date(guess), timeZone);
  return new Date(guess);
}

/** The first day of the month of a day (YYYY-MM-DD), as YYYY-MM-01. */
export function monthOf(day: string): string {
  return `${day.slice(0, 7)}-01`;
}

/** The first day of the local calendar month of `now` in `timeZone`, as YYYY-MM-01. */
export function localMonth(now: Date, timeZone: string): string {
  return monthOf(localDay(now, timeZone));
}

/** The instant the next local calendar month begins after `now` in `timeZone`. */
export function nextMonthlyReset(now: Date, timeZone: string): Date {
  const p = localParts(now, timeZone);
  const first = Date.UTC(p.year, p.month, 1, 0, 0, 0);
  // The offset near the month's start, not now's: a DST change may fall between them.
  return localMidnight(new Date(first - offsetMs(now, timeZone)), timeZone, first);
}
