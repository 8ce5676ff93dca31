/**
 * The cross-workflow send policy for marketing email: quiet hours and allowed days in the
 * lead's time zone, and a frequency cap per lead with priorities. Pure: the caller passes the
 * clock and the lead's sends; the engine stores the decision (notBefore and the reason) on the
 * send so every deferral can be explained. Transactional mail and sales notifications are
 * exempt, so the caller does not ask for them.
 *
 * Time zones use Intl only (no tz library): wall-clock parts come from Intl.DateTimeFormat and
 * are turned back into instants by `zonedTimeToUtc`, which handles DST gaps and overlaps.
 *
 * Priorities (a whole number per send, set by the workflow; higher goes first):
 * - Quiet hours and allowed days apply to every priority alike: a demo invite does not wake
 *   anyone at 3 a.m. either.
 * - Cap reached: the send waits until the oldest send in the window leaves it (sends already
 *   scheduled count as taken slots), then for the next allowed time.
 * - Several sends waiting for one free slot: the engine asks for each with
 *   `waitingHigherPriority` (how many sends of a higher priority for the same lead are due now).
 *   A send yields (waits `PRIORITY_YIELD_MS`) when those would use up the slots left, so the
 *   highest goes first; after it has gone the cap decides for the rest. Without a cap there is
 *   no scarcity and nothing yields.
 * - `reserveLastSlotForPriority: N` (optional): a send below priority N may not take the last
 *   free slot, so a hot-track invite is not blocked for days by a newsletter sent just before.
 */

export interface SendPolicy {
  /** local wall clock, 'HH:MM'; `from` later than `to` spans midnight. null: no quiet hours */
  quietHours: { from: string; to: string } | null;
  /** local weekdays sends may go on; 0 = Sunday */
  allowedDays: readonly number[];
  /** IANA zone for leads without one (or with one Intl does not know) */
  defaultTimezone: string;
  /** at most `max` marketing sends per lead in any `perMs`; null: no cap */
  frequencyCap: { max: number; perMs: number } | null;
  /** sends of a lower priority may not take the last free slot of the cap; null/absent: off */
  reserveLastSlotForPriority?: number | null;
}

/** A marketing send of the lead inside the cap window: sent, or scheduled (not the one being decided). */
export interface RecentSend {
  at: Date;
  /** for the record; the cap counts every marketing send alike */
  priority: number;
}

/** Which rule deferred the send, for reports and metrics; `reason` is the same in words. */
export type DeferRule = 'quiet-hours' | 'allowed-days' | 'frequency-cap' | 'priority';

export type PolicyDecision = { ok: true } | { ok: false; notBefore: Date; rule: DeferRule; reason: string };

export interface SendInput {
  now: Date;
  /** the lead's IANA zone; null or unknown: the policy's default */
  timeZone: string | null;
  priority: number;
  recent: readonly RecentSend[];
  /** sends of a higher priority for this lead that are due now and waiting (they go first) */
  waitingHigherPriority?: number;
}

/** How long a send steps aside for higher-priority ones: long enough for them to go out, short enough not to matter. */
export const PRIORITY_YIELD_MS = 5 * 60_000;

const DAY_MS = 86_400_000;
const DAY_NAMES = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

export interface LocalDateTime {
  year: number;
  /** 1-12 */
  month: number;
  day: number;
  hour: number;
  minute: number;
  second?: number;
}

export interface WallClock extends Required<LocalDateTime> {
  /** 0 = Sunday */
  weekday: number;
}

// Building an Intl formatter costs far more than using one; a send sweep asks about a few zones many times.
const formatters = new Map<string, Intl.DateTimeFormat | null>();

function formatterFor(timeZone: string): Intl.DateTimeFormat | null {
  let f = formatters.get(timeZone);
  if (f === undefined) {
    try {
      f = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' });
    } catch {
      f = null;
    }
    if (formatters.size >= 500) formatters.clear();
    formatters.set(timeZone, f);
  }
  return f;
}

export const isKnownTimeZone = (timeZone: string): boolean => formatterFor(timeZone) !== null;

/** The lead's zone when Intl knows it, else the policy's default: bad profile data must not stop sends. */
export const resolveTimeZone = (policy: SendPolicy, timeZone: string | null): string => (timeZone && isKnownTimeZone(timeZone) ? timeZone : policy.defaultTimezone);

/** The wall clock in `timeZone` at `at`. */
export function wallClock(at: Date, timeZone: string): WallClock {
  const f = formatterFor(timeZone);
  if (!f) throw new RangeError(`unknown time zone: ${timeZone}`);
  const p: Partial<Record<Intl.DateTimeFormatPartTypes, number>> = {};
  for (const { type, value } of f.formatToParts(at)) if (type !== 'literal') p[type] = Number(value);
  const year = p.year ?? 0;
  const month = p.month ?? 1;
  const day = p.day ?? 1;
  // some ICU versions print midnight as 24 even with h23
  return { year, month, day, hour: (p.hour ?? 0) % 24, minute: p.minute ?? 0, second: p.second ?? 0, weekday: new Date(Date.UTC(year, month - 1, day)).getUTCDay() };
}

/** Zone offset (local minus UTC) in ms at `instant`, to the second. */
function offsetMs(instant: number, timeZone: string): number {
  const w = wallClock(new Date(instant), timeZone);
  return Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second) - Math.floor(instant / 1000) * 1000;
}

const sameLocal = (w: WallClock, l: LocalDateTime): boolean => w.year === l.year && w.month === l.month && w.day === l.day && w.hour === l.hour && w.minute === l.minute && w.second === (l.second ?? 0);

/**
 * The instants whose wall clock in `timeZone` reads `local`, earliest first: one normally,
 * two in a DST overlap, none in a DST gap. The offsets a day before and after cover every
 * candidate, since zones do not change offset twice within two days.
 */
function possibleInstants(local: LocalDateTime, timeZone: string): { asUtc: number; offsetBefore: number; instants: number[] } {
  const asUtc = Date.UTC(local.year, local.month - 1, local.day, local.hour, local.minute, local.second ?? 0);
  const offsetBefore = offsetMs(asUtc - DAY_MS, timeZone);
  const candidates = [...new Set([asUtc - offsetBefore, asUtc - offsetMs(asUtc + DAY_MS, timeZone)])];
  const instants = candidates.filter((t) => sameLocal(wallClock(new Date(t), timeZone), local)).sort((a, b) => a - b);
  return { asUtc, offsetBefore, instants };
}

/**
 * The instant a wall-clock time in `timeZone` refers to. In an overlap (the clock goes back),
 * the earlier of the two; in a gap (the clock jumps forward), as far past the jump as the time
 * was past its start, e.g. 02:30 on the spring-forward night in Berlin is 03:30 CEST. This is
 * what Temporal calls 'compatible' disambiguation.
 */
export function zonedTimeToUtc(local: LocalDateTime, timeZone: string, notBefore = -Infinity): Date {
  const { asUtc, offsetBefore, instants } = possibleInstants(local, timeZone);
  // when the caller is already inside the second pass of an overlap, the first one is in the past
  const at = instants.find((t) => t >= notBefore) ?? instants[instants.length - 1] ?? asUtc - offsetBefore;
  return new Date(at);
}

const minutesOf = (hhmm: string): number => {
  const [h, m] = hhmm.split(':').map(Number);
  return h * 60 + m;
};

/** The first minute at or after `start` (minutes since local midnight) outside quiet hours, or undefined when quiet lasts until midnight. */
function firstOpenMinute(quiet: { from: number; to: number } | null, start: number): number | undefined {
  if (!quiet) return start;
  const inQuiet = quiet.from < quiet.to ? start >= quiet.from && start < quiet.to : start >= quiet.from || start < quiet.to;
  if (!inQuiet) return start;
  // a daytime quiet period ends today; an overnight one ends today only in its early-morning part
  if (quiet.from < quiet.to || start < quiet.to) return quiet.to;
  return undefined;
}

/**
 * The earliest instant at or after `from` when the policy lets a marketing send go to a lead
 * in `timeZone`: an allowed day, outside quiet hours, by the lead's wall clock. A send due on
 * a day that is not allowed waits for the next allowed day at the window start (the end of
 * quiet hours, or midnight without them).
 */
export function nextAllowedTime(policy: SendPolicy, from: Date, timeZone: string | null): Date {
  const tz = resolveTimeZone(policy, timeZone);
  const quiet = policy.quietHours ? { from: minutesOf(policy.quietHours.from), to: minutesOf(policy.quietHours.to) } : null;
  const now = wallClock(from, tz);
  const nowMinute = now.hour * 60 + now.minute;
  // a week and a day: enough to reach every weekday again, including today's later hours
  for (let k = 0; k <= 7; k++) {
    const date = new Date(Date.UTC(now.year, now.month - 1, now.day + k));
    if (!policy.allowedDays.includes(date.getUTCDay())) continue;
    const minute = firstOpenMinute(quiet, k === 0 ? nowMinute : 0);
    if (minute === undefined) continue;
    if (k === 0 && minute === nowMinute) return from;
    const local = { year: date.getUTCFullYear(), month: date.getUTCMonth() + 1, day: date.getUTCDate(), hour: Math.floor(minute / 60), minute: minute % 60 };
    return zonedTimeToUtc(local, tz, from.getTime());
  }
  throw new Error('the send policy allows no time at all (no allowed days)');
}

const pad = (n: number): string => String(n).padStart(2, '0');
const hhmm = (w: WallClock): string => `${pad(w.hour)}:${pad(w.minute)}`;
const dayNumber = (w: WallClock): number => Date.UTC(w.year, w.month - 1, w.day) / DAY_MS;

/** 7d reads "7 days", as the marketer wrote it, not "1 week". */
function durationText(ms: number): string {
  for (const [size, name] of [[DAY_MS, 'day'], [3_600_000, 'hour'], [60_000, 'minute']] as const) {
    if (ms % size === 0) return `${ms / size} ${name}${ms === size ? '' : 's'}`;
  }
  return `${Math.round(ms / 1000)} seconds`;
}

/** "Thu 14:02 Europe/Berlin"; with the date when it is a week or more away, where a weekday alone is ambiguous. */
function slotText(at: Date, now: Date, tz: string): string {
  const w = wallClock(at, tz);
  const date = dayNumber(w) - dayNumber(wallClock(now, tz)) >= 7 ? ` ${w.year}-${pad(w.month)}-${pad(w.day)}` : '';
  return `${DAY_NAMES[w.weekday].slice(0, 3)}${date} ${hhmm(w)} ${tz}`;
}

/** Why the window is closed at `now`, given when it opens. */
function windowReason(policy: SendPolicy, now: Date, opens: Date, tz: string): { rule: DeferRule; reason: string } {
  const n = wallClock(now, tz);
  const o = wallClock(opens, tz);
  if (!policy.allowedDays.includes(n.weekday)) {
    return { rule: 'allowed-days', reason: `${DAY_NAMES[n.weekday]}: waiting for ${DAY_NAMES[o.weekday]} ${hhmm(o)} ${tz}` };
  }
  // tonight's quiet hours end tomorrow morning: the hour says enough; beyond that, name the day
  const day = dayNumber(o) - dayNumber(n) > 1 ? `${DAY_NAMES[o.weekday]} ` : '';
  return { rule: 'quiet-hours', reason: `quiet hours until ${day}${hhmm(o)} ${tz}` };
}

/**
 * Decides whether a marketing send of `priority` may go at `now` to a lead in `timeZone`,
 * given the lead's marketing sends in the cap window (sent or already scheduled, not counting
 * this one). A deferral says until when and why; the engine asks again at `notBefore`.
 */
export function decideSend(policy: SendPolicy, input: SendInput): PolicyDecision {
  const tz = resolveTimeZone(policy, input.timeZone);
  const now = input.now.getTime();
  const cap = policy.frequencyCap;
  const reserve = policy.reserveLastSlotForPriority;
  // the slots this send may use: all of them, or all but the last when that one is reserved for higher priorities
  const reserved = cap !== null && reserve != null && input.priority < reserve && cap.max > 1;
  const limit = cap ? cap.max - (reserved ? 1 : 0) : Infinity;
  const inWindow = cap ? input.recent.map((r) => r.at.getTime()).filter((t) => t > now - cap.perMs).sort((a, b) => a - b) : [];

  if (cap && inWindow.length >= limit) {
    // a slot frees when enough of the oldest sends have left the window; then the window must be open too
    const slotFree = inWindow[inWindow.length - limit] + cap.perMs;
    const notBefore = nextAllowedTime(policy, new Date(Math.max(now, slotFree)), tz);
    const emails = `${cap.max} marketing email${cap.max === 1 ? '' : 's'} in ${durationText(cap.perMs)}`;
    const why = inWindow.length >= cap.max ? `frequency cap: ${emails}` : `frequency cap: ${emails}, the last kept for priority ${reserve} and up`;
    return { ok: false, notBefore, rule: 'frequency-cap', reason: `${why}; next slot ${slotText(notBefore, input.now, tz)}` };
  }

  const opens = nextAllowedTime(policy, input.now, tz);
  if (opens.getTime() > now) return { ok: false, notBefore: opens, ...windowReason(policy, input.now, opens, tz) };

  const waiting = input.waitingHigherPriority ?? 0;
  if (cap && waiting > 0 && inWindow.length + waiting >= limit) {
    const notBefore = nextAllowedTime(policy, new Date(now + PRIORITY_YIELD_MS), tz);
    const sends = waiting === 1 ? '1 higher-priority send' : `${waiting} higher-priority sends`;
    return { ok: false, notBefore, rule: 'priority', reason: `${sends} for this lead go${waiting === 1 ? 'es' : ''} first (frequency cap: ${cap.max} in ${durationText(cap.perMs)})` };
  }
  return { ok: true };
}
