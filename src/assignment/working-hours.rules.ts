import { validZone, wallClock, zonedTime } from '../workflows/calendar.rules';

/** A rep's working week: weekdays (0 = Sunday) and one daily window, HH:MM in the rep's zone. */
export interface WorkingHours {
  days: number[];
  from: string;
  to: string;
}

const DAY_MS = 86_400_000;
const minutes = (hhmm: string) => {
  const [h, m] = hhmm.split(':').map(Number);
  return h * 60 + m;
};

/** The working window of the calendar day that `at` falls on in the zone, if that day is worked. */
function windowOfDay(at: number, hours: WorkingHours, zone: string, dayOffset = 0): { start: number; end: number } | undefined {
  const w = wallClock(at, zone);
  const date = new Date(Date.UTC(w.year, w.month - 1, w.day + dayOffset));
  if (!hours.days.includes(date.getUTCDay())) return undefined;
  const [y, mo, d] = [date.getUTCFullYear(), date.getUTCMonth() + 1, date.getUTCDate()];
  const [fh, fm] = hours.from.split(':').map(Number);
  const [th, tm] = hours.to.split(':').map(Number);
  return { start: zonedTime(y, mo, d, fh, fm, zone), end: zonedTime(y, mo, d, th, tm, zone) };
}

/** null hours = always at work. */
export function inWorkingHours(at: Date, hours: WorkingHours | null, timeZone: string | null): boolean {
  if (!hours) return true;
  const win = windowOfDay(at.getTime(), hours, validZone(timeZone));
  return win !== undefined && at.getTime() >= win.start && at.getTime() < win.end;
}

/** `at` itself when the rep is at work then, else the start of their next working window. */
export function nextWorkingStart(at: Date, hours: WorkingHours | null, timeZone: string | null): Date {
  if (!hours || inWorkingHours(at, hours, timeZone)) return at;
  const zone = validZone(timeZone);
  for (let k = 0; k <= 8; k++) {
    const win = windowOfDay(at.getTime(), hours, zone, k);
    if (win && win.start >= at.getTime()) return new Date(win.start);
  }
  // a week with no working day cannot be built by the schema; never hang on it
  return at;
}

/**
 * `start` plus `ms` of the rep's working time: a 4-hour SLA given at 16:00 on a Friday to a rep
 * working 9 to 17 runs out at 12:00 on Monday. No hours: plain clock time.
 */
export function addWorkingTime(start: Date, ms: number, hours: WorkingHours | null, timeZone: string | null): Date {
  if (!hours || hours.days.length === 0 || minutes(hours.to) <= minutes(hours.from)) return new Date(start.getTime() + ms);
  const zone = validZone(timeZone);
  let t = nextWorkingStart(start, hours, zone).getTime();
  let left = ms;
  // one window per day: a year of windows is far more than any SLA needs
  for (let guard = 0; guard < 400; guard++) {
    const win = windowOfDay(t, hours, zone)!;
    const chunk = Math.min(left, win.end - t);
    t += chunk;
    left -= chunk;
    if (left <= 0) return new Date(t);
    t = nextWorkingStart(new Date(win.end + 1), hours, zone).getTime();
  }
  return new Date(start.getTime() + ms + 365 * DAY_MS);
}
