/**
 * Wall-clock time in IANA zones with nothing but Intl: the runtime's time zone database is the
 * one the rest of the stack (Postgres aside) already trusts, and it knows every DST rule.
 */

const DAY_MS = 86_400_000;
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(zone: string): Intl.DateTimeFormat {
  let f = formatters.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      weekday: 'short',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formatters.set(zone, f);
  }
  return f;
}

/** The zone when the runtime knows it, else UTC: a typo in a lead's profile must not stop its workflows. */
export function validZone(zone: string | null | undefined): string {
  if (!zone) return 'UTC';
  try {
    formatter(zone);
    return zone;
  } catch {
    return 'UTC';
  }
}

export interface WallClock {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  /** Mon, Tue, ... */
  weekday: string;
}

export function wallClock(at: number, zone: string): WallClock {
  const parts: Record<string, string> = {};
  for (const p of formatter(zone).formatToParts(at)) parts[p.type] = p.value;
  return { year: +parts.year, month: +parts.month, day: +parts.day, hour: +parts.hour, minute: +parts.minute, second: +parts.second, weekday: parts.weekday };
}

/** How far the zone's clock is ahead of UTC at that instant. */
function offsetMs(at: number, zone: string): number {
  const w = wallClock(at, zone);
  return Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second) - (at - (((at % 1000) + 1000) % 1000));
}

/**
 * The instant a wall-clock time happens in a zone. A time the clocks skip (02:30 on the night
 * they spring forward) moves forward by the gap, to 03:30; a time that happens twice (the night
 * they fall back) is the first one, so a lead never waits an extra hour.
 */
export function zonedTime(year: number, month: number, day: number, hour: number, minute: number, zone: string): number {
  const asUtc = Date.UTC(year, month - 1, day, hour, minute);
  const before = offsetMs(asUtc - DAY_MS, zone);
  const after = offsetMs(asUtc + DAY_MS, zone);
  const fits = [asUtc - before, asUtc - after].filter((t) => {
    const w = wallClock(t, zone);
    return w.year === year && w.month === month && w.day === day && w.hour === hour && w.minute === minute;
  });
  return fits.length ? Math.min(...fits) : asUtc - before;
}

/**
 * The first moment at or after `from` that falls on one of `weekdays` (0 = Sunday; empty = any
 * day) at `time` (HH:MM) in the zone (null or unknown → UTC).
 */
export function nextWeekdayTime(from: Date, weekdays: number[], time: string, timeZone: string | null): Date {
  const zone = validZone(timeZone);
  const [hour, minute] = time.split(':').map(Number);
  const days = new Set(weekdays.length ? weekdays : [0, 1, 2, 3, 4, 5, 6]);
  const today = wallClock(from.getTime(), zone);
  // Eight days: today may be the right weekday with the time already past.
  for (let k = 0; k <= 8; k++) {
    const date = new Date(Date.UTC(today.year, today.month - 1, today.day + k));
    if (!days.has(date.getUTCDay())) continue;
    const at = zonedTime(date.getUTCFullYear(), date.getUTCMonth() + 1, date.getUTCDate(), hour, minute, zone);
    if (at >= from.getTime()) return new Date(at);
  }
  throw new Error(`no weekday in ${[...days].join(',')}`);
}

const pad = (n: number) => String(n).padStart(2, '0');

/** "Tue 2026-03-31 09:00 Europe/Berlin": what an operator reads in the enrollment list. */
export function describeInstant(at: Date, timeZone: string | null): string {
  const zone = validZone(timeZone);
  const w = wallClock(at.getTime(), zone);
  return `${w.weekday} ${w.year}-${pad(w.month)}-${pad(w.day)} ${pad(w.hour)}:${pad(w.minute)} ${zone}`;
}
