import { PRIORITY_YIELD_MS, PolicyDecision, RecentSend, SendPolicy, decideSend, nextAllowedTime, resolveTimeZone, wallClock, zonedTimeToUtc } from './send-window.policy';

const DAY = 86_400_000;
const HOUR = 3_600_000;

const WEEKDAYS: SendPolicy = {
  quietHours: { from: '20:00', to: '08:00' },
  allowedDays: [1, 2, 3, 4, 5],
  defaultTimezone: 'Europe/Berlin',
  frequencyCap: { max: 3, perMs: 7 * DAY },
};
const EVERY_DAY: SendPolicy = { ...WEEKDAYS, allowedDays: [0, 1, 2, 3, 4, 5, 6], frequencyCap: null };

const at = (iso: string): Date => new Date(iso);
const iso = (d: Date): string => d.toISOString();
const sends = (...times: string[]): RecentSend[] => times.map((t) => ({ at: at(t), priority: 0 }));

function deferred(d: PolicyDecision): { notBefore: string; rule: string; reason: string } {
  if (d.ok) throw new Error('expected a deferral');
  return { notBefore: iso(d.notBefore), rule: d.rule, reason: d.reason };
}

describe('zonedTimeToUtc', () => {
  it('converts ordinary wall-clock times in summer and winter', () => {
    expect(iso(zonedTimeToUtc({ year: 2026, month: 1, day: 15, hour: 8, minute: 0 }, 'Europe/Berlin'))).toBe('2026-01-15T07:00:00.000Z');
    expect(iso(zonedTimeToUtc({ year: 2026, month: 7, day: 15, hour: 8, minute: 0 }, 'Europe/Berlin'))).toBe('2026-07-15T06:00:00.000Z');
    expect(iso(zonedTimeToUtc({ year: 2026, month: 1, day: 15, hour: 8, minute: 0 }, 'America/New_York'))).toBe('2026-01-15T13:00:00.000Z');
    expect(iso(zonedTimeToUtc({ year: 2026, month: 7, day: 15, hour: 8, minute: 0 }, 'America/New_York'))).toBe('2026-07-15T12:00:00.000Z');
    expect(iso(zonedTimeToUtc({ year: 2026, month: 12, day: 31, hour: 23, minute: 59, second: 30 }, 'Asia/Kolkata'))).toBe('2026-12-31T18:29:30.000Z');
  });

  it('moves a time in the spring-forward gap past the jump (Berlin 02:30 → 03:30 CEST, New York 02:30 → 03:30 EDT)', () => {
    expect(iso(zonedTimeToUtc({ year: 2026, month: 3, day: 29, hour: 2, minute: 30 }, 'Europe/Berlin'))).toBe('2026-03-29T01:30:00.000Z');
    expect(iso(zonedTimeToUtc({ year: 2026, month: 3, day: 8, hour: 2, minute: 30 }, 'America/New_York'))).toBe('2026-03-08T07:30:00.000Z');
  });

  it('takes the earlier of the two times in the fall-back overlap, or the later when asked for a time after the first', () => {
    const berlin = { year: 2026, month: 10, day: 25, hour: 2, minute: 30 };
    expect(iso(zonedTimeToUtc(berlin, 'Europe/Berlin'))).toBe('2026-10-25T00:30:00.000Z');
    expect(iso(zonedTimeToUtc(berlin, 'Europe/Berlin', at('2026-10-25T01:00:00Z').getTime()))).toBe('2026-10-25T01:30:00.000Z');
    const ny = { year: 2026, month: 11, day: 1, hour: 1, minute: 30 };
    expect(iso(zonedTimeToUtc(ny, 'America/New_York'))).toBe('2026-11-01T05:30:00.000Z');
    expect(iso(zonedTimeToUtc(ny, 'America/New_York', at('2026-11-01T06:00:00Z').getTime()))).toBe('2026-11-01T06:30:00.000Z');
  });

  it('round-trips with wallClock every 15 minutes across the DST weekends', () => {
    const weekends: [string, string[]][] = [
      ['Europe/Berlin', ['2026-03-28T00:00:00Z', '2026-10-24T00:00:00Z']],
      ['America/New_York', ['2026-03-07T00:00:00Z', '2026-10-31T00:00:00Z']],
    ];
    for (const [tz, starts] of weekends) {
      for (const start of starts) {
        for (let t = at(start).getTime(); t < at(start).getTime() + 2 * DAY; t += 15 * 60_000) {
          expect(iso(zonedTimeToUtc(wallClock(new Date(t), tz), tz, t))).toBe(iso(new Date(t)));
        }
      }
    }
  });
});

describe('resolveTimeZone', () => {
  it("uses the lead's zone, and the default for leads without one or with one Intl does not know", () => {
    expect(resolveTimeZone(WEEKDAYS, 'America/New_York')).toBe('America/New_York');
    expect(resolveTimeZone(WEEKDAYS, null)).toBe('Europe/Berlin');
    expect(resolveTimeZone(WEEKDAYS, 'Mars/Olympus_Mons')).toBe('Europe/Berlin');
  });
});

describe('nextAllowedTime', () => {
  it('lets a send inside the window go at once, to the millisecond', () => {
    const now = at('2026-06-10T10:15:42.123Z'); // Wednesday 12:15 in Berlin
    expect(nextAllowedTime(WEEKDAYS, now, 'Europe/Berlin')).toBe(now);
  });

  it("moves a send due at night to the next morning in the lead's zone", () => {
    // Wednesday 03:00 UTC: 05:00 in Berlin, 23:00 Tuesday in New York
    const now = at('2026-06-10T03:00:00Z');
    expect(iso(nextAllowedTime(WEEKDAYS, now, 'Europe/Berlin'))).toBe('2026-06-10T06:00:00.000Z');
    expect(iso(nextAllowedTime(WEEKDAYS, now, 'America/New_York'))).toBe('2026-06-10T12:00:00.000Z');
  });

  it('treats the quiet-hours bounds as [from, to)', () => {
    expect(iso(nextAllowedTime(WEEKDAYS, at('2026-06-10T17:59:59Z'), null))).toBe('2026-06-10T17:59:59.000Z'); // 19:59:59
    expect(iso(nextAllowedTime(WEEKDAYS, at('2026-06-10T18:00:00Z'), null))).toBe('2026-06-11T06:00:00.000Z'); // 20:00
    expect(iso(nextAllowedTime(WEEKDAYS, at('2026-06-10T05:59:00Z'), null))).toBe('2026-06-10T06:00:00.000Z'); // 07:59
    expect(iso(nextAllowedTime(WEEKDAYS, at('2026-06-10T06:00:00Z'), null))).toBe('2026-06-10T06:00:00.000Z'); // 08:00
  });

  it('moves a Saturday send, and a Friday-night one, to Monday at the window start', () => {
    expect(iso(nextAllowedTime(WEEKDAYS, at('2026-06-13T10:00:00Z'), 'Europe/Berlin'))).toBe('2026-06-15T06:00:00.000Z');
    expect(iso(nextAllowedTime(WEEKDAYS, at('2026-06-12T20:00:00Z'), 'Europe/Berlin'))).toBe('2026-06-15T06:00:00.000Z');
    // Friday 22:00 in New York is Saturday 04:00 in Berlin; the lead's clock decides
    expect(iso(nextAllowedTime(WEEKDAYS, at('2026-06-13T02:00:00Z'), 'America/New_York'))).toBe('2026-06-15T12:00:00.000Z');
  });

  it('opens at midnight on an allowed day when there are no quiet hours', () => {
    const noQuiet: SendPolicy = { ...WEEKDAYS, quietHours: null };
    expect(iso(nextAllowedTime(noQuiet, at('2026-06-13T10:00:00Z'), 'Europe/Berlin'))).toBe('2026-06-14T22:00:00.000Z');
    expect(iso(nextAllowedTime(noQuiet, at('2026-06-10T01:00:00Z'), 'Europe/Berlin'))).toBe('2026-06-10T01:00:00.000Z');
  });

  it('handles daytime quiet hours (lunch) that do not span midnight', () => {
    const lunch: SendPolicy = { ...EVERY_DAY, quietHours: { from: '12:00', to: '13:30' } };
    expect(iso(nextAllowedTime(lunch, at('2026-06-10T10:30:00Z'), 'Europe/Berlin'))).toBe('2026-06-10T11:30:00.000Z');
    expect(iso(nextAllowedTime(lunch, at('2026-06-10T11:30:00Z'), 'Europe/Berlin'))).toBe('2026-06-10T11:30:00.000Z');
  });

  it('opens the week after when the only allowed day is today and today is already over', () => {
    const tuesdays: SendPolicy = { ...WEEKDAYS, allowedDays: [2] };
    expect(iso(nextAllowedTime(tuesdays, at('2026-06-09T19:00:00Z'), 'Europe/Berlin'))).toBe('2026-06-16T06:00:00.000Z');
  });

  it('keeps 08:00 local across the DST weeks, in Berlin and New York', () => {
    // the night the clocks go forward: 08:00 is CEST (06:00Z), not CET
    expect(iso(nextAllowedTime(EVERY_DAY, at('2026-03-29T00:00:00Z'), 'Europe/Berlin'))).toBe('2026-03-29T06:00:00.000Z');
    // Friday night before the change → Monday 08:00 CEST
    expect(iso(nextAllowedTime(WEEKDAYS, at('2026-03-27T20:00:00Z'), 'Europe/Berlin'))).toBe('2026-03-30T06:00:00.000Z');
    // the night the clocks go back: 08:00 CET is 07:00Z
    expect(iso(nextAllowedTime(EVERY_DAY, at('2026-10-25T00:00:00Z'), 'Europe/Berlin'))).toBe('2026-10-25T07:00:00.000Z');
    expect(iso(nextAllowedTime(EVERY_DAY, at('2026-03-08T05:00:00Z'), 'America/New_York'))).toBe('2026-03-08T12:00:00.000Z');
    expect(iso(nextAllowedTime(EVERY_DAY, at('2026-11-01T05:00:00Z'), 'America/New_York'))).toBe('2026-11-01T13:00:00.000Z');
  });

  it('ends quiet hours whose end falls in a DST gap or overlap at the right instant', () => {
    const toGap: SendPolicy = { ...EVERY_DAY, quietHours: { from: '22:00', to: '02:30' } };
    // 01:00 CET on spring-forward night → 02:30 does not exist → 03:30 CEST
    expect(iso(nextAllowedTime(toGap, at('2026-03-29T00:00:00Z'), 'Europe/Berlin'))).toBe('2026-03-29T01:30:00.000Z');
    // 02:10 CET, the second time round on fall-back night: 02:30 CEST has passed, 02:30 CET is next
    expect(iso(nextAllowedTime(toGap, at('2026-10-25T01:10:00Z'), 'Europe/Berlin'))).toBe('2026-10-25T01:30:00.000Z');
    // 02:40 CEST the first time round is already open
    expect(iso(nextAllowedTime(toGap, at('2026-10-25T00:40:00Z'), 'Europe/Berlin'))).toBe('2026-10-25T00:40:00.000Z');
  });

  it('uses the default zone for leads without one', () => {
    expect(iso(nextAllowedTime(WEEKDAYS, at('2026-06-10T03:00:00Z'), null))).toBe('2026-06-10T06:00:00.000Z');
    expect(iso(nextAllowedTime({ ...WEEKDAYS, defaultTimezone: 'America/New_York' }, at('2026-06-10T03:00:00Z'), null))).toBe('2026-06-10T12:00:00.000Z');
  });

  it('refuses a policy with no allowed days', () => {
    expect(() => nextAllowedTime({ ...WEEKDAYS, allowedDays: [] }, at('2026-06-10T10:00:00Z'), null)).toThrow(/no allowed days/);
  });
});

describe('decideSend', () => {
  const WED_NOON = at('2026-06-10T10:00:00Z'); // Wednesday 12:00 in Berlin
  const base = { now: WED_NOON, timeZone: 'Europe/Berlin', priority: 0, recent: [] as RecentSend[] };

  it('lets a send go inside the window and under the cap', () => {
    expect(decideSend(WEEKDAYS, { ...base, recent: sends('2026-06-05T10:00:00Z', '2026-06-09T10:00:00Z') })).toEqual({ ok: true });
  });

  it('explains quiet hours in the lead\'s zone: Berlin morning vs New York night', () => {
    const now = at('2026-06-10T03:00:00Z');
    expect(deferred(decideSend(WEEKDAYS, { ...base, now }))).toEqual({ notBefore: '2026-06-10T06:00:00.000Z', rule: 'quiet-hours', reason: 'quiet hours until 08:00 Europe/Berlin' });
    expect(deferred(decideSend(WEEKDAYS, { ...base, now, timeZone: 'America/New_York' }))).toEqual({
      notBefore: '2026-06-10T12:00:00.000Z',
      rule: 'quiet-hours',
      reason: 'quiet hours until 08:00 America/New_York',
    });
  });

  it('names the day when quiet hours run into days that are not allowed', () => {
    const friNight = at('2026-06-12T20:00:00Z');
    expect(deferred(decideSend(WEEKDAYS, { ...base, now: friNight })).reason).toBe('quiet hours until Monday 08:00 Europe/Berlin');
  });

  it('explains a day that is not allowed: Saturday waits for Monday 08:00', () => {
    expect(deferred(decideSend(WEEKDAYS, { ...base, now: at('2026-06-13T10:00:00Z') }))).toEqual({
      notBefore: '2026-06-15T06:00:00.000Z',
      rule: 'allowed-days',
      reason: 'Saturday: waiting for Monday 08:00 Europe/Berlin',
    });
  });

  it('uses the default zone for leads without one', () => {
    expect(deferred(decideSend(WEEKDAYS, { ...base, now: at('2026-06-10T03:00:00Z'), timeZone: null })).reason).toBe('quiet hours until 08:00 Europe/Berlin');
  });

  it('defers the 4th send in 7 days until the first leaves the window', () => {
    // Thu 4 Jun 12:02 Berlin, then Mon and Tue; now Wednesday 10 Jun noon
    const recent = sends('2026-06-04T10:02:00Z', '2026-06-08T09:00:00Z', '2026-06-09T09:00:00Z');
    expect(deferred(decideSend(WEEKDAYS, { ...base, recent }))).toEqual({
      notBefore: '2026-06-11T10:02:00.000Z',
      rule: 'frequency-cap',
      reason: 'frequency cap: 3 marketing emails in 7 days; next slot Thu 12:02 Europe/Berlin',
    });
    // at that moment it may go
    expect(decideSend(WEEKDAYS, { ...base, now: at('2026-06-11T10:02:00Z'), recent })).toEqual({ ok: true });
    expect(decideSend(WEEKDAYS, { ...base, now: at('2026-06-11T10:01:59Z'), recent }).ok).toBe(false);
  });

  it('counts sends already scheduled, in any order, and ignores ones outside the window', () => {
    const recent = sends('2026-06-11T08:00:00Z', '2026-06-01T09:00:00Z', '2026-06-09T09:00:00Z', '2026-06-05T09:00:00Z');
    // in the window: 5 Jun, 9 Jun, 11 Jun (scheduled); 1 Jun has left. The slot frees when 5 Jun leaves.
    expect(deferred(decideSend(WEEKDAYS, { ...base, recent })).notBefore).toBe('2026-06-12T09:00:00.000Z');
  });

  it('lands a cap deferral inside the window: a slot freeing at night or on Saturday waits for the next allowed morning', () => {
    const night = sends('2026-06-03T20:30:00Z', '2026-06-08T09:00:00Z', '2026-06-09T09:00:00Z'); // 22:30 Berlin
    expect(deferred(decideSend(WEEKDAYS, { ...base, recent: night }))).toMatchObject({ notBefore: '2026-06-11T06:00:00.000Z', reason: 'frequency cap: 3 marketing emails in 7 days; next slot Thu 08:00 Europe/Berlin' });
    const saturday = sends('2026-06-06T10:00:00Z', '2026-06-08T09:00:00Z', '2026-06-09T09:00:00Z');
    expect(deferred(decideSend(WEEKDAYS, { ...base, recent: saturday })).notBefore).toBe('2026-06-15T06:00:00.000Z');
  });

  it('gives the date when the next slot is a week or more away', () => {
    const monthly: SendPolicy = { ...EVERY_DAY, frequencyCap: { max: 1, perMs: 30 * DAY } };
    expect(deferred(decideSend(monthly, { ...base, recent: sends('2026-06-01T10:00:00Z') })).reason).toBe(
      'frequency cap: 1 marketing email in 30 days; next slot Wed 2026-07-01 12:00 Europe/Berlin',
    );
  });

  it('applies the cap to every priority alike once it is reached', () => {
    const recent = sends('2026-06-04T10:02:00Z', '2026-06-08T09:00:00Z', '2026-06-09T09:00:00Z');
    expect(decideSend(WEEKDAYS, { ...base, recent, priority: 100 }).ok).toBe(false);
  });

  it('makes a lower-priority send yield while higher-priority ones would use up the slots left', () => {
    const twoSent = sends('2026-06-08T09:00:00Z', '2026-06-09T09:00:00Z');
    expect(deferred(decideSend(WEEKDAYS, { ...base, recent: twoSent, waitingHigherPriority: 1 }))).toEqual({
      notBefore: iso(new Date(WED_NOON.getTime() + PRIORITY_YIELD_MS)),
      rule: 'priority',
      reason: '1 higher-priority send for this lead goes first (frequency cap: 3 in 7 days)',
    });
    // two slots left, one higher waiting: both fit
    expect(decideSend(WEEKDAYS, { ...base, recent: sends('2026-06-09T09:00:00Z'), waitingHigherPriority: 1 })).toEqual({ ok: true });
    expect(deferred(decideSend(WEEKDAYS, { ...base, recent: sends('2026-06-09T09:00:00Z'), waitingHigherPriority: 2 })).reason).toBe(
      '2 higher-priority sends for this lead go first (frequency cap: 3 in 7 days)',
    );
    // no cap, no scarcity: nothing yields
    expect(decideSend(EVERY_DAY, { ...base, waitingHigherPriority: 5 })).toEqual({ ok: true });
  });

  it('plays out a free slot with a hot-track invite and a cold-track newsletter waiting: the invite goes first', () => {
    const recent = sends('2026-06-04T10:00:00Z', '2026-06-08T09:00:00Z', '2026-06-09T09:00:00Z');
    const slot = at('2026-06-11T10:00:00Z');
    // both were deferred to the same slot; the engine asks for each with the count of higher ones waiting
    const invite = decideSend(WEEKDAYS, { ...base, now: slot, recent, priority: 30, waitingHigherPriority: 0 });
    const newsletter = decideSend(WEEKDAYS, { ...base, now: slot, recent, priority: 10, waitingHigherPriority: 1 });
    expect(invite).toEqual({ ok: true });
    expect(deferred(newsletter).rule).toBe('priority');
    // five minutes on, the invite has gone and the cap holds the newsletter until the next slot
    const later = decideSend(WEEKDAYS, { ...base, now: at(deferred(newsletter).notBefore), recent: [...recent, { at: slot, priority: 30 }], priority: 10 });
    // the oldest left at the slot; next to leave is Mon 8 Jun 09:00 UTC, so Mon 15 Jun 11:00 Berlin
    expect(deferred(later)).toMatchObject({ rule: 'frequency-cap', notBefore: '2026-06-15T09:00:00.000Z' });
  });

  it('does not let a yield land in quiet hours', () => {
    const late = at('2026-06-10T17:58:00Z'); // 19:58 Berlin
    const d = deferred(decideSend(WEEKDAYS, { ...base, now: late, recent: sends('2026-06-08T09:00:00Z', '2026-06-09T09:00:00Z'), waitingHigherPriority: 1 }));
    expect(d).toMatchObject({ rule: 'priority', notBefore: '2026-06-11T06:00:00.000Z' });
  });

  describe('with the last slot reserved for priority 20 and up', () => {
    const reserving: SendPolicy = { ...WEEKDAYS, reserveLastSlotForPriority: 20 };
    const twoSent = sends('2026-06-05T10:00:00Z', '2026-06-09T09:00:00Z');

    it('keeps the last slot from a lower-priority send until a slot frees', () => {
      expect(deferred(decideSend(reserving, { ...base, recent: twoSent, priority: 10 }))).toEqual({
        notBefore: '2026-06-12T10:00:00.000Z',
        rule: 'frequency-cap',
        reason: 'frequency cap: 3 marketing emails in 7 days, the last kept for priority 20 and up; next slot Fri 12:00 Europe/Berlin',
      });
    });

    it('gives it to a send of that priority or higher', () => {
      expect(decideSend(reserving, { ...base, recent: twoSent, priority: 20 })).toEqual({ ok: true });
    });

    it('leaves the other slots to everyone', () => {
      expect(decideSend(reserving, { ...base, recent: sends('2026-06-09T09:00:00Z'), priority: 0 })).toEqual({ ok: true });
    });

    it('makes a low send yield to a higher one waiting for the one slot it may use', () => {
      expect(deferred(decideSend(reserving, { ...base, recent: sends('2026-06-09T09:00:00Z'), priority: 0, waitingHigherPriority: 1 })).rule).toBe('priority');
    });

    it('is ignored with a cap of 1, where it would block lower sends for good', () => {
      const one: SendPolicy = { ...reserving, frequencyCap: { max: 1, perMs: DAY } };
      expect(decideSend(one, { ...base, priority: 0 })).toEqual({ ok: true });
    });
  });

  it('checks the cap with the window too: a slot free at night is still quiet hours', () => {
    const night = at('2026-06-10T21:00:00Z');
    expect(deferred(decideSend(WEEKDAYS, { ...base, now: night, recent: sends('2026-06-09T09:00:00Z') }))).toMatchObject({ rule: 'quiet-hours', notBefore: '2026-06-11T06:00:00.000Z' });
  });

  it('names a cap period given in hours', () => {
    const hourly: SendPolicy = { ...EVERY_DAY, quietHours: null, frequencyCap: { max: 2, perMs: 36 * HOUR } };
    expect(deferred(decideSend(hourly, { ...base, recent: sends('2026-06-09T10:00:00Z', '2026-06-10T09:00:00Z') })).reason).toMatch(/^frequency cap: 2 marketing emails in 36 hours; next slot Thu 00:00 Europe\/Berlin$/);
  });
});
