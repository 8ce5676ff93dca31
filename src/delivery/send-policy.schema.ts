import { z } from 'zod';
import { ModelProblem, parseYamlModel } from '../common/yaml-model';
import { durationMs } from '../scoring/scoring-model.schema';
import { SendPolicy, isKnownTimeZone } from './send-window.policy';

/**
 * The send policy file (workflows/policy.yaml): quiet hours, allowed days, the default time
 * zone and the frequency cap for marketing email, across all workflows. The zod schema checks
 * the shape; checks that span keys run after it, each reported at the line of the key to change.
 */

const DAYS: Record<string, number> = { sun: 0, mon: 1, tue: 2, wed: 3, thu: 4, fri: 5, sat: 6 };
for (const [name, n] of Object.entries({ sunday: 0, monday: 1, tuesday: 2, wednesday: 3, thursday: 4, friday: 5, saturday: 6 })) DAYS[name] = n;

const CLOCK = /^([01]?\d|2[0-3]):[0-5]\d$/;
const CLOCK_HINT = "a time like '08:00' (24-hour clock)";
const DAY_HINT = 'a day: mon, tue, wed, thu, fri, sat or sun';
const ZONE_HINT = 'an IANA time zone like Europe/Berlin or America/New_York';
const DURATION_HINT = 'a duration like 7d, 24h or 2w (units: s, min, h, d, w; write a month as 30d)';

/** zod says "expected string, received undefined" for a missing key; a marketer needs to know what to write. */
const hint = (text: string) => ({ error: (iss: { input?: unknown }) => (iss.input === undefined ? `missing: ${text}` : text) });

const clock = z.string(hint(CLOCK_HINT)).regex(CLOCK, CLOCK_HINT);
const day = z.string(hint(DAY_HINT)).refine((d) => DAYS[d.trim().toLowerCase()] !== undefined, DAY_HINT);

// `none` (or an empty value) switches a rule off; preprocessing it to null keeps zod's errors
// inside the object at their own keys (a union would report them all as "Invalid input").
const noneIsNull = (v: unknown): unknown => (v === 'none' ? null : v);
const offOr = (text: string) => ({
  error: (iss: { code?: string; input?: unknown }) => (iss.code === 'invalid_type' ? (iss.input === undefined ? `missing: ${text}` : text) : undefined),
});

export const sendPolicySchema = z.strictObject({
  quietHours: z.preprocess(
    noneIsNull,
    z.strictObject({ from: clock, to: clock }, offOr("quiet hours like { from: '20:00', to: '08:00' }, or none")).nullable(),
  ),
  allowedDays: z.array(day, hint('a list of days, e.g. [mon, tue, wed, thu, fri]')).min(1, 'list at least one day'),
  defaultTimezone: z.string(hint(ZONE_HINT)).refine(isKnownTimeZone, ZONE_HINT),
  frequencyCap: z.preprocess(
    noneIsNull,
    z
      .strictObject(
        {
          max: z.int(hint('a whole number of emails, e.g. 3')).positive('at least 1'),
          per: z.string(hint(DURATION_HINT)).refine((s) => (durationMs(s) ?? 0) > 0, DURATION_HINT),
        },
        offOr('a cap like { max: 3, per: 7d }, or none'),
      )
      .nullable(),
  ),
  reserveLastSlotForPriority: z.int(hint('a whole-number priority, e.g. 20')).optional(),
});

export type SendPolicySource = z.output<typeof sendPolicySchema>;

/** Used when workflows/policy.yaml is absent; the shipped file says the same, so deleting it changes nothing. */
export const DEFAULT_SEND_POLICY: SendPolicy = Object.freeze({
  quietHours: Object.freeze({ from: '20:00', to: '08:00' }),
  allowedDays: Object.freeze([1, 2, 3, 4, 5]),
  defaultTimezone: 'Europe/Berlin',
  frequencyCap: Object.freeze({ max: 3, perMs: 7 * 86_400_000 }),
  reserveLastSlotForPriority: null,
});

const normalizeClock = (t: string): string => t.padStart(5, '0');

function semanticProblems(p: SendPolicySource): { path: (string | number)[]; message: string }[] {
  const out: { path: (string | number)[]; message: string }[] = [];
  if (p.quietHours && normalizeClock(p.quietHours.from) === normalizeClock(p.quietHours.to)) {
    out.push({ path: ['quietHours', 'to'], message: 'from and to are the same time; write quietHours: none for no quiet hours' });
  }
  if (p.reserveLastSlotForPriority !== undefined) {
    if (!p.frequencyCap) out.push({ path: ['reserveLastSlotForPriority'], message: 'reserving a slot needs a frequencyCap' });
    else if (p.frequencyCap.max < 2) out.push({ path: ['reserveLastSlotForPriority'], message: 'with frequencyCap.max 1 the reserved slot would be the only one: lower sends could never go' });
  }
  return out;
}

export function parseSendPolicy(source: string, file: string): { ok: true; policy: SendPolicy } | { ok: false; problems: ModelProblem[] } {
  const parsed = parseYamlModel(source, sendPolicySchema, file);
  if (!parsed.ok) return parsed;
  const p = parsed.value;
  const problems = semanticProblems(p).map((x) => ({ file, line: parsed.lineOf(x.path), path: x.path.join('.'), message: x.message }));
  if (problems.length) return { ok: false, problems };
  return {
    ok: true,
    policy: {
      quietHours: p.quietHours ? { from: normalizeClock(p.quietHours.from), to: normalizeClock(p.quietHours.to) } : null,
      allowedDays: [...new Set(p.allowedDays.map((d) => DAYS[d.trim().toLowerCase()]))].sort((a, b) => a - b),
      defaultTimezone: p.defaultTimezone,
      frequencyCap: p.frequencyCap ? { max: p.frequencyCap.max, perMs: durationMs(p.frequencyCap.per)! } : null,
      reserveLastSlotForPriority: p.reserveLastSlotForPriority ?? null,
    },
  };
}
